// The TypeScript side of a struct: its interface, its default value (the exported create helper), and the
// "is this the default?" tests that decide whether a tagged field is written. Kafka's defaults: 0, false, '', empty
// bytes, the zero uuid, null records, empty arrays, or the field's "default" (hex and negative numbers, "null").
import { doc, indent, type Lines, objectLiteral, quote } from './code';
import type { ElementType, FieldSpec, MessageSpec, PrimitiveName, StructSpec } from './schema';
import { formatVersions, intersect, isEmpty, type VersionRange, versionCond, type Cond } from './versions';

const SCALAR_TS: Partial<Record<PrimitiveName, string>> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  uuid: 'string',
};

const INT_RANGE: Partial<Record<PrimitiveName, [bigint, bigint]>> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

export function parseIntDefault(raw: string | number, type: PrimitiveName, where: string): bigint {
  let value: bigint;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw new Error(`${where}: default ${raw} is not an integer`);
    value = BigInt(raw);
  } else {
    const s = raw.trim();
    const neg = s.startsWith('-');
    const body = neg ? s.slice(1) : s;
    if (/^0x[0-9a-f]+$/i.test(body)) value = BigInt(body);
    else if (/^0[0-7]+$/.test(body)) value = BigInt(`0o${body.slice(1)}`);
    else if (/^\d+$/.test(body)) value = BigInt(body);
    else throw new Error(`${where}: cannot parse default ${JSON.stringify(raw)} as ${type}`);
    if (neg) value = -value;
  }
  const range = INT_RANGE[type];
  if (range && (value < range[0] || value > range[1])) throw new Error(`${where}: default ${value} out of range for ${type}`);
  return value;
}

export class StructTypes {
  /** Structs whose "is this the default value?" test is needed (non-nullable tagged struct fields). */
  readonly needsIsDefault = new Set<StructSpec>();

  constructor(protected readonly msg: MessageSpec) {}

  canCarryTags(s: StructSpec): boolean {
    return !isEmpty(intersect(s.versions, this.msg.flexibleVersions));
  }

  // ---- types and defaults ----

  elementTs(e: ElementType): string {
    if (e.kind === 'struct') return e.struct.tsName;
    if (e.name === 'string') return 'string';
    if (e.name === 'bytes' || e.name === 'records') return 'Buffer';
    return SCALAR_TS[e.name]!;
  }

  isNullable(f: FieldSpec): boolean {
    return !isEmpty(f.nullableVersions) || (f.type.kind === 'primitive' && f.type.name === 'records') || f.default === 'null' || f.default === null;
  }

  tsType(f: FieldSpec): string {
    const base = f.type.kind === 'array' ? `${this.elementTs(f.type.element)}[]` : this.elementTs(f.type);
    return this.isNullable(f) ? `${base} | null` : base;
  }

  protected where(s: StructSpec, f: FieldSpec): string {
    return `${this.msg.source}: ${s.name}.${f.name}`;
  }

  /** The field's default as a TypeScript expression (a fresh value for arrays and structs). */
  defaultValue(s: StructSpec, f: FieldSpec): string {
    const d = f.default;
    const isNull = d === null || d === 'null';
    const where = this.where(s, f);
    if (isNull && isEmpty(f.nullableVersions) && !(f.type.kind === 'primitive' && f.type.name === 'records')) {
      throw new Error(`${where}: default null on a field that is never nullable`);
    }
    const t = f.type;
    if (t.kind === 'array') {
      if (d !== undefined && !isNull) throw new Error(`${where}: arrays only default to null`);
      return isNull ? 'null' : '[]';
    }
    if (t.kind === 'struct') {
      if (d !== undefined && !isNull) throw new Error(`${where}: structs only default to null`);
      return isNull ? 'null' : `create${t.struct.tsName}()`;
    }
    switch (t.name) {
      case 'bool':
        if (d === undefined) return 'false';
        if (d === true || d === 'true') return 'true';
        if (d === false || d === 'false') return 'false';
        throw new Error(`${where}: bad bool default ${JSON.stringify(d)}`);
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
        return d === undefined ? '0' : String(parseIntDefault(d as string | number, t.name, where));
      case 'int64':
        return `${d === undefined ? 0n : parseIntDefault(d as string | number, t.name, where)}n`;
      case 'float64': {
        if (d === undefined) return '0';
        const n = Number(d);
        if (!Number.isFinite(n)) throw new Error(`${where}: bad float64 default ${JSON.stringify(d)}`);
        return String(n);
      }
      case 'string':
        if (isNull) return 'null';
        if (d === undefined) return `''`;
        if (typeof d !== 'string') throw new Error(`${where}: bad string default ${JSON.stringify(d)}`);
        return quote(d);
      case 'bytes':
        if (d !== undefined && !isNull) throw new Error(`${where}: bytes only default to null`);
        return isNull ? 'null' : 'EMPTY_BYTES';
      case 'records':
        return 'null';
      case 'uuid':
        if (d !== undefined) throw new Error(`${where}: uuid defaults are not supported`);
        return 'ZERO_UUID';
    }
  }

  protected versionNote(f: FieldSpec): string {
    const parts = [`v${formatVersions(f.versions)}`];
    if (!isEmpty(f.nullableVersions)) parts.push(`nullable v${formatVersions(f.nullableVersions)}`);
    if (f.tag !== undefined) parts.push(`tag ${f.tag} v${formatVersions(f.taggedVersions)}`);
    if (f.ignorable) parts.push('ignorable');
    return `[${parts.join(', ')}]`;
  }

  interfaceLines(s: StructSpec, header: string): Lines {
    const body: Lines = [];
    for (const f of s.fields) {
      body.push(...doc(`${f.about} ${this.versionNote(f)}`));
      body.push(`${f.camelName}: ${this.tsType(f)};`);
    }
    if (this.canCarryTags(s)) {
      body.push('/** Tagged fields this decoder does not know, kept so they are re-encoded unchanged. */');
      body.push('_unknownTaggedFields?: TaggedField[];');
    }
    return [...doc(header || s.about), `export interface ${s.tsName} {`, ...indent(body), '}'];
  }

  createLines(s: StructSpec): Lines {
    const entries = s.fields.map((f) => `${f.camelName}: ${this.defaultValue(s, f)}`);
    return [
      `/** A ${s.tsName} with every field at its default, then \`init\` applied. */`,
      `export function create${s.tsName}(init?: Partial<${s.tsName}>): ${s.tsName} {`,
      ...indent(objectLiteral([...entries, '...init'], 'return ', ';')),
      '}',
    ];
  }

  /** An expression that is true when `acc` (a value of field f) differs from the field's default. */
  protected notDefault(s: StructSpec, f: FieldSpec, acc: string): string {
    const d = this.defaultValue(s, f);
    const nullable = this.isNullable(f);
    const t = f.type;
    if (d === 'null') return `${acc} !== null`;
    if (t.kind === 'array' || (t.kind === 'primitive' && t.name === 'bytes')) {
      return nullable ? `(${acc} === null || ${acc}.length > 0)` : `${acc}.length > 0`;
    }
    if (t.kind === 'struct') {
      this.needsIsDefault.add(t.struct);
      return nullable ? `(${acc} === null || !isDefault${t.struct.tsName}(${acc}))` : `!isDefault${t.struct.tsName}(${acc})`;
    }
    return `${acc} !== ${d}`;
  }

  /** An expression that is true when `acc` equals the field's default. */
  protected isDefault(s: StructSpec, f: FieldSpec, acc: string): string {
    const d = this.defaultValue(s, f);
    const nullable = this.isNullable(f);
    const t = f.type;
    if (d === 'null') return `${acc} === null`;
    if (t.kind === 'array' || (t.kind === 'primitive' && t.name === 'bytes')) {
      return nullable ? `(${acc} !== null && ${acc}.length === 0)` : `${acc}.length === 0`;
    }
    if (t.kind === 'struct') {
      this.needsIsDefault.add(t.struct);
      return nullable ? `(${acc} !== null && isDefault${t.struct.tsName}(${acc}))` : `isDefault${t.struct.tsName}(${acc})`;
    }
    return `${acc} === ${d}`;
  }

  /** The versions of `s` that have a tagged-fields section (tag conditions are only tested inside it). */
  protected flexibleVersionsOf(s: StructSpec): VersionRange {
    return intersect(s.versions, this.msg.flexibleVersions);
  }

  /** Whether `version` is flexible, as the `flexible` local when that is not static. */
  protected structFlexCond(s: StructSpec): Cond {
    const c = versionCond(this.msg.flexibleVersions, s.versions);
    return typeof c === 'string' ? 'flexible' : c;
  }

  isDefaultLines(s: StructSpec): Lines {
    const terms = s.fields.map((f) => this.isDefault(s, f, `s.${f.camelName}`));
    if (this.canCarryTags(s)) terms.push('(s._unknownTaggedFields === undefined || s._unknownTaggedFields.length === 0)');
    const one = `return ${terms.join(' && ') || 'true'};`;
    const ret = one.length <= 100 ? [one] : ['return (', ...indent(terms.map((t, i) => (i < terms.length - 1 ? `${t} &&` : t))), ');'];
    return this.fn(`function isDefault${s.tsName}`, [['s', s.tsName]], 'boolean', s, ret);
  }

  /** A function whose `flexible` local and unused parameters are settled from its body. */
  protected fn(head: string, params: [string, string][], ret: string, s: StructSpec, body: Lines): Lines {
    const text = body.join('\n');
    // A use is the bare identifier: not a property access (`v.version`) nor an object key (`{ version: version_ }`).
    const usesIn = (name: string, t: string): boolean => new RegExp(`(?<![.\\w])${name}\\b(?!:)`).test(t);
    const uses = (name: string): boolean => usesIn(name, text);
    const lines = [...body];
    if (uses('flexible')) {
      lines.unshift(`const flexible = ${versionCond(this.msg.flexibleVersions, s.versions)};`);
    }
    const all = lines.join('\n');
    const ps = params.map(([n, t]) => `${usesIn(n, all) ? n : `_${n}`}: ${t}`).join(', ');
    return [`${head}(${ps}): ${ret} {`, ...indent(lines), '}'];
  }
}
