// MessageCodec: what every generated Kafka message exports (`ProduceRequest`, `FetchResponse`, `RequestHeader`, ...),
// plus the few runtime helpers the generated code calls. Hand-written; the codecs themselves are generated.
import { ProtocolError } from './protocol-error';
import { Reader, type TaggedField } from './reader';
import { Writer } from './writer';

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'record';

export interface MessageCodec<T> {
  readonly name: string;
  /** The API key of a request or response; -1 for headers, data types and coordinator records. */
  readonly apiKey: number;
  readonly kind: MessageKind;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first flexible version (compact encodings, tagged fields); Infinity when never flexible. */
  readonly flexibleMinVersion: number;
  /**
   * Writes the body (no size prefix, no header) at `version`. Fields absent from that version are skipped; a
   * version outside [minVersion, maxVersion] throws ProtocolError('unsupported-version').
   */
  encode(w: Writer, value: T, version: number): void;
  /**
   * Reads the body at `version`; fields absent from that version get their default. `bytes` and `records` values
   * are views into the reader's buffer, not copies. Malformed input throws ProtocolError, nothing else.
   */
  decode(r: Reader, version: number): T;
  /** A value with every field at its default, then `init` applied (shallowly). */
  create(init?: Partial<T>): T;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The shared default of non-nullable bytes fields (zero-length, so it cannot be written through). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Encodes one message body into a Buffer of its own. */
export function encodeMessage<T>(codec: MessageCodec<T>, value: T, version: number): Buffer {
  const w = new Writer(256);
  codec.encode(w, value, version);
  return Buffer.from(w.finish());
}

/** Decodes one message body that must fill `buf` exactly. */
export function decodeMessage<T>(codec: MessageCodec<T>, buf: Buffer, version: number): T {
  const r = new Reader(buf);
  const value = codec.decode(r, version);
  if (r.remaining !== 0) throw new ProtocolError('malformed', `${r.remaining} bytes left after ${codec.name} v${version}`);
  return value;
}

export function checkVersion(name: string, version: number, min: number, max: number): void {
  if (!(version >= min && version <= max && Number.isInteger(version))) {
    throw new ProtocolError('unsupported-version', `${name} v${version} is not supported (versions ${min}-${max})`);
  }
}

/** Known tagged fields to write (ascending) merged with the unknown ones a decoder kept. */
export function mergeTags(known: TaggedField[] | undefined, unknown: readonly TaggedField[] | undefined): readonly TaggedField[] | undefined {
  if (unknown === undefined || unknown.length === 0) return known;
  if (known === undefined) return unknown;
  const seen = new Set(known.map((f) => f.tag));
  return [...known, ...unknown.filter((f) => !seen.has(f.tag))];
}

export const tagOutOfOrder = (tag: number): ProtocolError => new ProtocolError('malformed', `tagged field ${tag} out of order`);

export const nullNotAllowed = (field: string, version: number): ProtocolError =>
  new ProtocolError('malformed', `${field} is null, which version ${version} cannot encode`);
