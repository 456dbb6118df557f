// One record inside a RecordBatch v2 (KIP-98), varint-framed:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
//   headerCount varint | (headerKeyLength varint | headerKey utf8 | headerValueLength varint (-1 = null) | value)...
// Varints are zigzag-encoded. Decoding reads straight from the Buffer (keys, values and header values are views, not
// copies) and checks every length against the bytes of the record before it is used.
import { ProtocolError } from '../primitives/protocol-error';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as decoded: offset and timestamp are absolute. */
export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Offset relative to the batch's base offset. */
  offsetDelta: number;
  /** The record's attributes byte (unused by Kafka so far, kept as read). */
  attributes: number;
}

/** A record to encode. `offsetDelta` defaults to the record's index in the batch. */
export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly { key: string; value: Buffer | null }[];
  timestamp: bigint;
  offsetDelta?: number;
}

/** The smallest record: seven one-byte fields (length, attributes, two deltas, null key and value, no headers). */
export const MIN_RECORD_SIZE = 7;

// ---------------------------------------------------------------- decoding

const malformed = (what: string): ProtocolError => new ProtocolError('malformed', what);
const truncated = (what: string): ProtocolError => new ProtocolError('truncated', `truncated record ${what}`);

/** Bounds-checked cursor over one region of a buffer; varints come back as JS numbers. */
export class RecordCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  /** Zigzag varint (32 bits). */
  varint(what: string): number {
    const buf = this.buf;
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw truncated(what);
      const b = buf[this.pos++];
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
    }
    throw malformed(`${what}: varint longer than 5 bytes`);
  }

  /** Zigzag varlong as a number when it is a safe integer, else as a bigint. */
  varlong(what: string): number | bigint {
    const buf = this.buf;
    let u = 0;
    let scale = 1;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw truncated(what);
      const b = buf[this.pos++];
      if (i < 7) {
        u += (b & 0x7f) * scale;
        scale *= 128;
        if ((b & 0x80) === 0) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      } else if ((b & 0x80) === 0) {
        return this.bigVarlong(start);
      }
    }
    throw malformed(`${what}: varlong longer than 10 bytes`);
  }

  private bigVarlong(start: number): bigint {
    let u = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++, shift += 7n) u |= BigInt(this.buf[p] & 0x7f) << shift;
    u = BigInt.asUintN(64, u);
    return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
  }

  int8(what: string): number {
    if (this.pos >= this.end) throw truncated(what);
    const b = this.buf[this.pos++];
    return b > 127 ? b - 256 : b;
  }

  /** Varint-length bytes, -1 meaning null, as a view into the buffer. */
  bytes(what: string): Buffer | null {
    const n = this.varint(what);
    if (n < 0) {
      if (n === -1) return null;
      throw malformed(`${what} length ${n}`);
    }
    if (n > this.end - this.pos) throw truncated(`${what}: ${n} bytes, ${this.end - this.pos} left`);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  string(what: string): string {
    const n = this.varint(what);
    if (n < 0) throw malformed(`${what} length ${n}`);
    if (n > this.end - this.pos) throw truncated(`${what}: ${n} bytes, ${this.end - this.pos} left`);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }
}

/**
 * Reads one record at the cursor. `baseOffset`/`baseTimestamp` make offsets and timestamps absolute;
 * `fixedTimestamp` (LogAppendTime batches: the batch's max timestamp) replaces every record's own.
 */
export function readRecord(c: RecordCursor, baseOffset: bigint, baseTimestamp: bigint, fixedTimestamp: bigint | null): KafkaRecord {
  const length = c.varint('length');
  if (length < 0) throw malformed(`record length ${length}`);
  if (length > c.end - c.pos) throw truncated(`body: ${length} bytes, ${c.end - c.pos} left`);
  const outerEnd = c.end;
  const recordEnd = c.pos + length;
  c.end = recordEnd;
  const attributes = c.int8('attributes');
  const timestampDelta = c.varlong('timestampDelta');
  const offsetDelta = c.varint('offsetDelta');
  const key = c.bytes('key');
  const value = c.bytes('value');
  const headerCount = c.varint('header count');
  if (headerCount < 0) throw malformed(`record header count ${headerCount}`);
  if (headerCount > (recordEnd - c.pos) / 2) throw truncated(`headers: ${headerCount} cannot fit in ${recordEnd - c.pos} bytes`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) headers.push({ key: c.string('header key'), value: c.bytes('header value') });
  if (c.pos !== recordEnd) throw malformed(`record of ${length} bytes has ${recordEnd - c.pos} unread bytes`);
  c.end = outerEnd;
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: fixedTimestamp ?? baseTimestamp + BigInt(timestampDelta),
    key,
    value,
    headers,
    offsetDelta,
    attributes,
  };
}

/** Reads `count` records filling [c.pos, c.end) exactly. The count is checked against the bytes before any work. */
export function readRecords(c: RecordCursor, count: number, baseOffset: bigint, baseTimestamp: bigint, fixedTimestamp: bigint | null): KafkaRecord[] {
  if (count < 0) throw malformed(`record count ${count}`);
  if (count > (c.end - c.pos) / MIN_RECORD_SIZE) {
    throw new ProtocolError('invalid-length', `${count} records cannot fit in ${c.end - c.pos} bytes`);
  }
  const records: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) records.push(readRecord(c, baseOffset, baseTimestamp, fixedTimestamp));
  if (c.pos !== c.end) throw malformed(`${c.end - c.pos} bytes after the batch's ${count} records`);
  return records;
}

// ---------------------------------------------------------------- encoding

export const sizeOfUvarint = (u: number): number => (u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5);
export const sizeOfVarint = (v: number): number => sizeOfUvarint(((v << 1) ^ (v >> 31)) >>> 0);

function sizeOfVarlong(v: number | bigint): number {
  let u = typeof v === 'bigint' ? BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)) : v >= 0 ? 2 * v : -2 * v - 1;
  let n = 1;
  if (typeof u === 'bigint') {
    for (; u >= 0x80n; u >>= 7n) n++;
  } else {
    for (; u >= 0x80; u = Math.floor(u / 128)) n++;
  }
  return n;
}

const sizeOfBytes = (b: Buffer | null): number => (b === null ? 1 : sizeOfVarint(b.length) + b.length);

/** Per-record values computed once for sizing and reused for writing. */
export interface SizedRecord {
  record: RecordInput;
  offsetDelta: number;
  timestampDelta: number | bigint;
  headerKeyLengths: number[];
  bodySize: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function sizeRecord(record: RecordInput, index: number, baseTimestamp: bigint): SizedRecord {
  const offsetDelta = record.offsetDelta ?? index;
  const d = record.timestamp - baseTimestamp;
  const timestampDelta = d <= MAX_SAFE && d >= -MAX_SAFE ? Number(d) : d;
  const headers = record.headers ?? [];
  const headerKeyLengths: number[] = [];
  let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfBytes(record.key) + sizeOfBytes(record.value);
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    const n = Buffer.byteLength(h.key, 'utf8');
    headerKeyLengths.push(n);
    size += sizeOfVarint(n) + n + sizeOfBytes(h.value);
  }
  return { record, offsetDelta, timestampDelta, headerKeyLengths, bodySize: size };
}

export const sizeOfRecord = (s: SizedRecord): number => sizeOfVarint(s.bodySize) + s.bodySize;

function writeUvarint(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}
const writeVarint = (buf: Buffer, pos: number, v: number): number => writeUvarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);

function writeVarlong(buf: Buffer, pos: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= -0x40000000 && v < 0x40000000) return writeVarint(buf, pos, v);
  const b = BigInt(v);
  let u = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

/** Writes a sized record at `pos` (the buffer has room: see sizeOfRecord); returns the position after it. */
export function writeRecord(buf: Buffer, pos: number, s: SizedRecord): number {
  const r = s.record;
  pos = writeVarint(buf, pos, s.bodySize);
  buf[pos++] = 0;
  pos = writeVarlong(buf, pos, s.timestampDelta);
  pos = writeVarint(buf, pos, s.offsetDelta);
  pos = writeBytes(buf, pos, r.key);
  pos = writeBytes(buf, pos, r.value);
  const headers = r.headers ?? [];
  pos = writeVarint(buf, pos, headers.length);
  for (let i = 0; i < headers.length; i++) {
    pos = writeVarint(buf, pos, s.headerKeyLengths[i]);
    pos += buf.write(headers[i].key, pos, 'utf8');
    pos = writeBytes(buf, pos, headers[i].value);
  }
  return pos;
}
