// Reader: bounds-checked decoding of Kafka's wire primitives from one Buffer.
// No length field is trusted before it is checked against the bytes that remain, so a short frame that claims a
// huge array or string fails with a ProtocolError instead of allocating.
import { ProtocolError, truncated } from './protocol-error';

export interface TaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new ProtocolError('invalid-length', 'reader bounds outside buffer');
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    const p = this.pos;
    if (n > this.end - p) throw truncated(what, n, this.end - p);
    this.pos = p + n;
    return p;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }
  uint8(): number {
    return this.buf[this.need(1, 'uint8')];
  }
  bool(): boolean {
    return this.buf[this.need(1, 'boolean')] !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2, 'uint16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4, 'uint32'));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'int64'));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8, 'float64'));
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw truncated('varint', 1, 0);
      const b = this.buf[this.pos++];
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new ProtocolError('malformed', 'varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Unsigned varlong of at most 10 bytes, as a bigint. */
  uvarlong(): bigint {
    // Fast path: values that fit in 28 bits need no bigint arithmetic until the end.
    let lo = 0;
    let shift = 0;
    let i = 0;
    for (; i < 4; i++) {
      if (this.pos >= this.end) throw truncated('varlong', 1, 0);
      const b = this.buf[this.pos++];
      lo |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt(lo >>> 0);
      shift += 7;
    }
    let value = BigInt(lo >>> 0);
    let bigShift = 28n;
    for (; i < 10; i++) {
      if (this.pos >= this.end) throw truncated('varlong', 1, 0);
      const b = this.buf[this.pos++];
      value |= BigInt(b & 0x7f) << bigShift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, value);
      bigShift += 7n;
    }
    throw new ProtocolError('malformed', 'varlong longer than 10 bytes');
  }

  /** Zigzag-encoded signed varlong, as a bigint. */
  varlong(): bigint {
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  /** Zigzag varlong that must fit a JS number exactly (record timestamp/offset deltas are small in practice). */
  varlongNumber(): number {
    const v = this.varlong();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError('malformed', `varlong ${v} outside the safe integer range`);
    }
    return Number(v);
  }

  uuid(): string {
    const p = this.need(16, 'uuid');
    const h = this.buf.toString('hex', p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Raw bytes view (no copy) of exactly n bytes. */
  raw(n: number): Buffer {
    if (n < 0) throw new ProtocolError('invalid-length', `negative length ${n}`);
    const p = this.need(n, 'bytes');
    return this.buf.subarray(p, p + n);
  }

  private text(n: number): string {
    const p = this.need(n, 'string');
    return this.buf.toString('utf8', p, p + n);
  }

  // ---- strings: int16 length (classic) or uvarint length+1 (compact) ----
  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolError('malformed', `non-nullable string has length ${n}`);
    return this.text(n);
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError('malformed', `string length ${n}`);
    return this.text(n);
  }
  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError('malformed', 'non-nullable compact string is null');
    return this.text(n);
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.text(n);
  }

  // ---- bytes: int32 length (classic) or uvarint length+1 (compact); returned as views, not copies ----
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolError('malformed', `non-nullable bytes has length ${n}`);
    return this.raw(n);
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < -1) throw new ProtocolError('malformed', `bytes length ${n}`);
    return this.raw(n);
  }
  compactBytes(): Buffer {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError('malformed', 'non-nullable compact bytes is null');
    return this.raw(n);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.raw(n);
  }

  // ---- arrays: the count is checked against the remaining bytes (each element needs at least one byte) ----
  private count(n: number, minElementSize: number): number {
    if (n > this.remaining / Math.max(1, minElementSize)) {
      throw new ProtocolError('invalid-length', `array of ${n} elements cannot fit in ${this.remaining} bytes`);
    }
    return n;
  }
  arrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n < 0) throw new ProtocolError('malformed', `non-nullable array has length ${n}`);
    return this.count(n, minElementSize);
  }
  nullableArrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n === -1) return -1;
    if (n < -1) throw new ProtocolError('malformed', `array length ${n}`);
    return this.count(n, minElementSize);
  }
  compactArrayLength(minElementSize = 1): number {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError('malformed', 'non-nullable compact array is null');
    return this.count(n, minElementSize);
  }
  compactNullableArrayLength(minElementSize = 1): number {
    const n = this.uvarint() - 1;
    return n < 0 ? -1 : this.count(n, minElementSize);
  }

  array<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.arrayLength(minElementSize);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }
  nullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.nullableArrayLength(minElementSize);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }
  compactArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.compactArrayLength(minElementSize);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }
  compactNullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.compactNullableArrayLength(minElementSize);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  /**
   * Tagged fields section: uvarint count, then (uvarint tag, uvarint size, bytes) each, tags strictly ascending.
   * Calls `known` for every tag; a tag it does not claim (returns false) is kept as raw bytes.
   */
  taggedFields(known?: (tag: number, r: Reader) => boolean): TaggedField[] | undefined {
    const n = this.count(this.uvarint(), 2);
    let unknown: TaggedField[] | undefined;
    let last = -1;
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint();
      if (tag <= last) throw new ProtocolError('malformed', `tagged field ${tag} out of order`);
      last = tag;
      const size = this.uvarint();
      const start = this.pos;
      const data = this.raw(size);
      if (known && known(tag, new Reader(this.buf, start, start + size))) continue;
      (unknown ??= []).push({ tag, data });
    }
    return unknown;
  }
}
