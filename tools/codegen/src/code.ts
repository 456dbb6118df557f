// Small helpers for emitting tidy TypeScript: statements are arrays of lines, nested with two-space indentation;
// conditions that are decided statically (`true`/`false`) collapse their branches instead of emitting dead code.
import type { Cond } from './versions';

export type Lines = string[];

export const indent = (lines: Lines): Lines => lines.map((l) => (l === '' ? l : `  ${l}`));

const isSimpleStatement = (lines: Lines): boolean =>
  lines.length === 1 && lines[0].endsWith(';') && !/^(if|for|else|while|const|let)\b/.test(lines[0]);

const same = (a: Lines, b: Lines): boolean => a.length === b.length && a.every((l, i) => l === b[i]);

/** `if (c) then else otherwise`, collapsed when `c` is static or both branches are the same. */
export function ifElse(c: Cond, then: Lines, otherwise: Lines = []): Lines {
  if (c === true) return then;
  if (c === false) return otherwise;
  if (same(then, otherwise)) return then;
  if (then.length === 0) return ifElse(negate(c), otherwise);
  if (otherwise.length === 0) return isSimpleStatement(then) ? [`if (${c}) ${then[0]}`] : [`if (${c}) {`, ...indent(then), '}'];
  if (isSimpleStatement(then) && isSimpleStatement(otherwise)) return [`if (${c}) ${then[0]}`, `else ${otherwise[0]}`];
  return [`if (${c}) {`, ...indent(then), '} else {', ...indent(otherwise), '}'];
}

/** `c ? a : b`, collapsed when `c` is static or both arms are the same. */
export function ternary(c: Cond, a: string, b: string): string {
  if (c === true || a === b) return a;
  if (c === false) return b;
  return `${c} ? ${paren(a)} : ${paren(b)}`;
}

const paren = (e: string): string => (e.includes(' ? ') ? `(${e})` : e);

export function negate(c: Cond): Cond {
  if (typeof c === 'boolean') return !c;
  const m = /^version (>=|<=|===) (\d+)$/.exec(c);
  if (m) return `version ${{ '>=': '<', '<=': '>', '===': '!==' }[m[1]]} ${m[2]}`;
  return `!(${c})`;
}

/** `a && b` over conditions. */
export function and(a: Cond, b: Cond): Cond {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  return `${a} && ${b}`;
}

export const kebabCase = (name: string): string =>
  name
    .replace(/KRaft/g, 'Kraft')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();

export const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** A JSDoc comment (one line when it fits). */
export function doc(text: string): Lines {
  const t = text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  return t ? [`/** ${t} */`] : [];
}

/** `{ a, b: c }` on one line when short, else one entry per line. */
export function objectLiteral(entries: string[], prefix: string, suffix: string, width = 110): Lines {
  const oneLine = `${prefix}{ ${entries.join(', ')} }${suffix}`;
  if (entries.length === 0) return [`${prefix}{}${suffix}`];
  if (oneLine.length <= width) return [oneLine];
  return [`${prefix}{`, ...entries.map((e) => `  ${e},`), `}${suffix}`];
}

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await arguments eval undefined ' +
    'r w v version flexible'
  ).split(' '),
);

/** A local variable name for a field: its property name unless that is reserved or used by the generated code. */
export const localName = (camel: string): string => (RESERVED.has(camel) ? `${camel}_` : camel);

const WIDTH = 120;

/** Index of the first `token` outside parentheses, brackets and quotes, or -1. */
function topLevelIndex(s: string, token: string, from = 0): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{' || (c === '<' && /\w/.test(s[i - 1] ?? ''))) depth++;
    else if (c === ')' || c === ']' || c === '}' || (c === '>' && /\w/.test(s[i - 1] ?? '') && s[i + 1] !== '=')) depth--;
    else if (depth === 0 && s.startsWith(token, i)) return i;
  }
  return -1;
}

/** Wraps one over-long line the way a formatter would; returns it unchanged when no rule applies. */
function wrap(line: string): Lines {
  if (line.length <= WIDTH) return [line];
  const pad = /^\s*/.exec(line)![0];
  const body = line.slice(pad.length);
  // function f(a: A, b: B): R {  ->  one parameter per line
  let m = /^((?:export )?function \w+)\((.*)\): (.+) \{$/.exec(body);
  if (m) return [`${pad}${m[1]}(`, ...m[2].split(', ').map((p) => `${pad}  ${p},`), `${pad}): ${m[3]} {`];
  // for (...) statement;  ->  braces
  m = /^(for \(.*?\)) (.*;)$/.exec(body);
  if (m && !m[2].startsWith('{')) return [`${pad}${m[1]} {`, ...wrap(`${pad}  ${m[2]}`), `${pad}}`];
  // if (c) statement;  ->  braces
  m = /^(if \(.*?\)) ((?!\{).*;)$/.exec(body);
  if (m && topLevelIndex(m[1].slice(3), ')') === m[1].length - 4) return [`${pad}${m[1]} {`, ...wrap(`${pad}  ${m[2]}`), `${pad}}`];
  // x = c ? a : b;  ->  one arm per line
  const eq = body.indexOf(' = ');
  if (eq > 0 && body.endsWith(';')) {
    const rhs = body.slice(eq + 3, -1);
    const q = topLevelIndex(rhs, ' ? ');
    const colon = q < 0 ? -1 : topLevelIndex(rhs, ' : ', q + 3);
    if (q > 0 && colon > 0) {
      return [
        `${pad}${body.slice(0, eq)} = ${rhs.slice(0, q)}`,
        `${pad}  ? ${rhs.slice(q + 3, colon)}`,
        `${pad}  : ${rhs.slice(colon + 3)};`,
      ];
    }
    // x = f(args);  ->  arguments on their own line
    const call = /^((?:new )?[\w.<>]+\()(.*)\)$/.exec(rhs);
    if (call && topLevelIndex(call[2], ')') < 0) return [`${pad}${body.slice(0, eq)} = ${call[1]}`, `${pad}  ${call[2]},`, `${pad});`];
  }
  return [line];
}

/** Wraps every over-long line of a file (comments are left alone). */
export function tidy(text: string): string {
  return text
    .split('\n')
    .flatMap((l) => (/^\s*(\/\/|\/\*\*|\*)/.test(l) ? [l] : wrap(l)))
    .join('\n');
}
