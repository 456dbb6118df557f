// Sample values for every message at every version, built straight from Kafka's JSON definitions (read here
// independently of the generator, so the round-trip tests check the generated code against a second reading of
// the schema): every field present in the version gets a non-default value, every absent field its default.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MESSAGES_DIR = path.resolve(__dirname, '../../../../tools/codegen/kafka-messages');

export interface JsonField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: unknown;
  fields?: JsonField[];
}

export interface JsonMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: { name: string; fields: JsonField[] }[];
  file: string;
}

/** Every definition, sorted by file. Comments are dropped line by line (no definition puts `//` in a string). */
export function loadDefinitions(): JsonMessage[] {
  const out: JsonMessage[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const text = fs
          .readFileSync(p, 'utf8')
          .split('\n')
          .map((l) => l.replace(/^\s*\/\/.*$/, '').replace(/(["\]},\d]|true|false)\s*\/\/.*$/, '$1'))
          .join('\n');
        out.push({ ...JSON.parse(text), file: path.relative(MESSAGES_DIR, p) });
      }
    }
  };
  walk(MESSAGES_DIR);
  return out;
}

/** [lo, hi] of a version spec; hi is Infinity for "N+", [0, -1] for "none". */
export function range(spec: string | undefined): [number, number] {
  if (spec === undefined || spec === 'none') return [0, -1];
  if (spec.endsWith('+')) return [Number(spec.slice(0, -1)), Infinity];
  const [lo, hi] = spec.split('-').map(Number);
  return [lo, hi ?? lo];
}

const within = (spec: string | undefined, v: number): boolean => {
  const [lo, hi] = range(spec);
  return v >= lo && v <= hi;
};

export const camel = (s: string): string => s[0].toLowerCase() + s.slice(1);

export interface SampleOptions {
  /** Use null for every field nullable at the version (instead of a non-default value). */
  nulls?: boolean;
  /** Add an unknown tagged field to every struct in flexible versions. */
  unknownTags?: boolean;
  /** Elements per array. */
  arrayLength?: number;
}

/** Builds sample values for one message definition. */
export class SampleBuilder {
  private readonly common = new Map<string, JsonField[]>();
  private counter = 0;

  constructor(
    readonly msg: JsonMessage,
    private readonly opts: SampleOptions = {},
  ) {
    for (const s of msg.commonStructs ?? []) this.common.set(s.name, s.fields);
  }

  flexible(v: number): boolean {
    return within(this.msg.flexibleVersions, v);
  }

  /** A value of the whole message at version v. */
  build(v: number): Record<string, unknown> {
    return this.struct(this.msg.fields, v, 0);
  }

  private fieldsOf(f: JsonField): JsonField[] {
    const fields = f.fields ?? this.common.get(f.type.replace('[]', ''));
    if (!fields) throw new Error(`${this.msg.name}: no fields for ${f.type}`);
    return fields;
  }

  private struct(fields: JsonField[], v: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const versions = f.versions ?? f.taggedVersions;
      out[camel(f.name)] = within(versions, v) ? this.value(f, v, depth) : this.defaultOf(f);
    }
    if (this.opts.unknownTags && this.flexible(v)) {
      out._unknownTaggedFields = [{ tag: 1000 + depth, data: Buffer.from([depth, 0xab, 0xcd]) }];
    }
    return out;
  }

  private next(): number {
    return ++this.counter;
  }

  private value(f: JsonField, v: number, depth: number): unknown {
    if (this.opts.nulls && within(f.nullableVersions, v)) return null;
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const n = this.opts.arrayLength ?? 2;
      return Array.from({ length: n }, () =>
        /^[A-Z]/.test(elem) ? this.struct(this.fieldsOf(f), v, depth + 1) : this.primitive(elem, undefined),
      );
    }
    if (/^[A-Z]/.test(f.type)) return this.struct(this.fieldsOf(f), v, depth + 1);
    return this.primitive(f.type, f.default);
  }

  /** A non-default value of a primitive type. */
  private primitive(type: string, def: unknown): unknown {
    const i = this.next();
    const d = def === undefined || def === null ? undefined : String(def);
    switch (type) {
      case 'bool':
        return !(d === 'true');
      case 'int8':
        return d === String(i % 100) ? -(i % 100) - 1 : i % 100;
      case 'int16':
        return 1000 + (i % 30000);
      case 'uint16':
        return 60000 + (i % 5000);
      case 'int32':
        return 100000 + i * 7;
      case 'uint32':
        return 4000000000 + i;
      case 'int64':
        return 9007199254740993n + BigInt(i); // beyond 2^53: a JS number would lose it
      case 'float64':
        return 1.5 + i;
      case 'uuid':
        return `0123${String(i).padStart(4, '0')}-89ab-4def-8123-456789abcdef`;
      case 'string':
        return `s${i}-é✓`;
      case 'bytes':
        return Buffer.from([i & 0xff, 0, 0xff, 7]);
      case 'records':
        return Buffer.from(`records-${i}`);
    }
    throw new Error(`unknown type ${type}`);
  }

  /** `partial` with every field it leaves out (at any depth, array elements included) set to its default. */
  complete(partial: Record<string, unknown>, fields: JsonField[] = this.msg.fields): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const key = camel(f.name);
      const given = partial[key];
      if (given === undefined) out[key] = this.defaultOf(f);
      else if (given !== null && /^(\[\])?[A-Z]/.test(f.type)) {
        const sub = this.fieldsOf(f);
        out[key] = Array.isArray(given) ? given.map((e) => this.complete(e, sub)) : this.complete(given as Record<string, unknown>, sub);
      } else out[key] = given;
    }
    for (const key of Object.keys(partial)) if (!(key in out)) throw new Error(`${this.msg.name}: no field ${key}`);
    return out;
  }

  /** A struct with every field at its default. */
  defaults(fields: JsonField[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) out[camel(f.name)] = this.defaultOf(f);
    return out;
  }

  /** The default a decoder gives a field absent from the version. */
  defaultOf(f: JsonField): unknown {
    const d = f.default;
    if (d === 'null' || d === null) return null;
    if (f.type.startsWith('[]')) return [];
    if (/^[A-Z]/.test(f.type)) return this.defaults(this.fieldsOf(f));
    switch (f.type) {
      case 'bool':
        return d === true || d === 'true';
      case 'int64':
        return d === undefined ? 0n : BigInt(d as string);
      case 'string':
        return d === undefined ? '' : d;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return null;
      case 'uuid':
        return '00000000-0000-0000-0000-000000000000';
      case 'float64':
        return d === undefined ? 0 : Number(d);
      default:
        return d === undefined ? 0 : Number(d);
    }
  }
}
