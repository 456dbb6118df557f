// Reads Apache Kafka's message definitions (JSON with `//` comments) into a resolved model: every struct (inline,
// common, nested) gets its TypeScript name and the versions it can occur at; every field its parsed version ranges.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { intersect, isEmpty, NO_VERSIONS, parseVersions, type VersionRange } from './versions';

export type PrimitiveName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

const PRIMITIVES = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export type ElementType = { kind: 'primitive'; name: PrimitiveName } | { kind: 'struct'; struct: StructSpec };
export type FieldType = ElementType | { kind: 'array'; element: ElementType };

export interface FieldSpec {
  /** As written in the JSON (`TopicData`). */
  readonly name: string;
  /** The property name (`topicData`). */
  readonly camelName: string;
  readonly typeString: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly taggedVersions: VersionRange;
  readonly tag: number | undefined;
  /** A field-level override of the message's flexible versions (RequestHeader.ClientId says "none"). */
  readonly flexibleVersions: VersionRange | undefined;
  /** The JSON `default`, unparsed (parsed against the type by the emitter). */
  readonly default: string | number | boolean | null | undefined;
  readonly ignorable: boolean;
  readonly about: string;
}

export interface StructSpec {
  /** The JSON type name (`TopicProduceData`), or the message name for the top level. */
  readonly name: string;
  /** `ProduceRequestTopicProduceData` (see structTsName); the message name for the top level. */
  readonly tsName: string;
  readonly fields: FieldSpec[];
  /** The versions this struct can be encoded at (the message's, narrowed by the fields that contain it). */
  readonly versions: VersionRange;
  readonly about: string;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'record';

export interface MessageSpec {
  readonly name: string;
  readonly kind: MessageKind;
  /** -1 when not an API message. */
  readonly apiKey: number;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly deprecatedVersions: VersionRange;
  readonly latestVersionUnstable: boolean;
  readonly listeners: string[];
  /** The top-level struct. */
  readonly root: StructSpec;
  /** Every struct, top level first, then nested ones depth-first in field order, then common structs. */
  readonly structs: StructSpec[];
  /** Path of the definition relative to the input directory, with forward slashes. */
  readonly source: string;
}

/** Removes `//` comments (outside strings) so the text parses as JSON. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      if (i < text.length) out += '\n';
    } else out += c;
  }
  return out;
}

/** Every `*.json` under `dir`, as sorted forward-slash relative paths. */
export function listDefinitions(dir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.json')) found.push(child);
    }
  };
  walk('');
  return found.sort();
}

export function loadMessages(dir: string): MessageSpec[] {
  return listDefinitions(dir).map((rel) => parseMessage(fs.readFileSync(path.join(dir, rel), 'utf8'), rel));
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  default?: string | number | boolean | null;
  ignorable?: boolean;
  about?: string;
  fields?: RawField[];
}

interface RawStruct {
  name: string;
  versions: string;
  fields: RawField[];
}

interface RawMessage {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: RawField[];
  commonStructs?: RawStruct[];
}

/**
 * `<Message><Struct>` (`ProduceRequest` + `TopicProduceData`), except that a struct already named after its message
 * (`MetadataResponseTopic` in MetadataResponse) keeps its name instead of repeating the prefix.
 */
export const structTsName = (message: string, struct: string): string => (struct.startsWith(message) ? struct : message + struct);

export const camelCase = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

export function parseMessage(text: string, source: string): MessageSpec {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const where = `${source} (${raw.name})`;
  const kind = messageKind(raw.type, source, where);
  const validVersions = parseVersions(raw.validVersions, `${where} validVersions`);
  const flexibleVersions = parseVersions(raw.flexibleVersions, `${where} flexibleVersions`);
  const structs: StructSpec[] = [];
  const byName = new Map<string, StructSpec>();

  // Common structs are declared first so fields can refer to them; their fields are filled in below.
  const common = (raw.commonStructs ?? []).map((cs) => {
    const spec: StructSpec = {
      name: cs.name,
      tsName: structTsName(raw.name, cs.name),
      fields: [],
      versions: intersect(validVersions, parseVersions(cs.versions, `${where} common struct ${cs.name}`)),
      about: '',
    };
    if (byName.has(cs.name)) throw new Error(`${where}: duplicate struct ${cs.name}`);
    byName.set(cs.name, spec);
    return { spec, raw: cs };
  });

  const buildFields = (fields: RawField[], owner: StructSpec): void => {
    for (const f of fields) owner.fields.push(buildField(f, owner));
  };

  const buildField = (f: RawField, owner: StructSpec): FieldSpec => {
    const fw = `${where} ${owner.name}.${f.name}`;
    const taggedVersions = f.taggedVersions === undefined ? NO_VERSIONS : parseVersions(f.taggedVersions, `${fw} taggedVersions`);
    if ((f.tag === undefined) !== (f.taggedVersions === undefined)) throw new Error(`${fw}: tag and taggedVersions go together`);
    // A tagged field may omit "versions"; it then exists exactly when it is tagged (Kafka's FieldSpec does the same).
    const versions = f.versions === undefined && f.tag !== undefined ? taggedVersions : parseVersions(f.versions, `${fw} versions`);
    const isArray = f.type.startsWith('[]');
    const elementName = isArray ? f.type.slice(2) : f.type;
    let element: ElementType;
    if (PRIMITIVES.has(elementName)) {
      if (f.fields) throw new Error(`${fw}: primitive type with fields`);
      element = { kind: 'primitive', name: elementName as PrimitiveName };
    } else if (/^[A-Z]/.test(elementName)) {
      let struct: StructSpec;
      if (f.fields) {
        if (byName.has(elementName)) throw new Error(`${fw}: struct ${elementName} is defined twice`);
        struct = {
          name: elementName,
          tsName: structTsName(raw.name, elementName),
          fields: [],
          versions: intersect(owner.versions, versions),
          about: f.about ?? '',
        };
        byName.set(elementName, struct);
        structs.push(struct);
        buildFields(f.fields, struct);
      } else {
        const found = byName.get(elementName);
        if (!found) throw new Error(`${fw}: unknown struct type ${elementName}`);
        struct = found;
      }
      element = { kind: 'struct', struct };
    } else throw new Error(`${fw}: unknown type ${f.type}`);
    const type: FieldType = isArray ? { kind: 'array', element } : element;
    const nullableVersions = f.nullableVersions === undefined ? NO_VERSIONS : parseVersions(f.nullableVersions, `${fw} nullableVersions`);
    if (!isEmpty(nullableVersions) && type.kind === 'primitive' && !['string', 'bytes', 'records', 'uuid'].includes(type.name)) {
      throw new Error(`${fw}: ${f.type} cannot be nullable`);
    }
    return {
      name: f.name,
      camelName: camelCase(f.name),
      typeString: f.type,
      type,
      versions,
      nullableVersions,
      taggedVersions,
      tag: f.tag,
      flexibleVersions: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, `${fw} flexibleVersions`),
      default: f.default,
      ignorable: f.ignorable === true,
      about: f.about ?? '',
    };
  };

  const root: StructSpec = { name: raw.name, tsName: raw.name, fields: [], versions: validVersions, about: '' };
  structs.push(root);
  buildFields(raw.fields, root);
  for (const c of common) {
    structs.push(c.spec);
    buildFields(c.raw.fields, c.spec);
  }

  return {
    name: raw.name,
    kind,
    apiKey: raw.apiKey ?? -1,
    validVersions,
    flexibleVersions,
    deprecatedVersions: raw.deprecatedVersions ? parseVersions(raw.deprecatedVersions, `${where} deprecatedVersions`) : NO_VERSIONS,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    root,
    structs,
    source,
  };
}

function messageKind(type: string, source: string, where: string): MessageKind {
  if (type === 'request' || type === 'response' || type === 'header') return type;
  // The group and transaction coordinators' record schemas live in their own folders (and are typed "data" in this
  // Kafka version, "coordinator-key"/"coordinator-value" in later ones).
  if (source.includes('/') || type.startsWith('coordinator-')) return 'record';
  if (type === 'data') return 'data';
  throw new Error(`${where}: unknown message type ${type}`);
}
