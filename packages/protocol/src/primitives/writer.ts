// Writer: encodes Kafka's wire primitives into a growable Buffer.
import type { TaggedField } from './reader';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Ensures room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(v: number): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(v, this.pos);
    return this;
  }
  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
    return this;
  }
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }
  uvarlong(v: bigint): this {
    this.ensure(10);
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }
  varlong(v: bigint): this {
    return this.uvarlong((v << 1n) ^ (v >> 63n));
  }
  /** Zigzag varlong from a safe-integer number (record deltas); avoids bigint when it fits 32 bits. */
  varlongNumber(v: number): this {
    if (v >= -0x40000000 && v < 0x40000000) return this.varint(v);
    return this.varlong(BigInt(v));
  }

  uuid(v: string | null | undefined): this {
    const hex = (v ?? ZERO_UUID).replace(/-/g, '');
    if (hex.length !== 32) throw new RangeError(`invalid uuid ${v}`);
    this.ensure(16);
    this.pos += this.buf.write(hex, this.pos, 16, 'hex');
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  private text(v: string, compact: boolean): this {
    const n = Buffer.byteLength(v, 'utf8');
    if (compact) this.uvarint(n + 1);
    else {
      if (n > 0x7fff) throw new RangeError(`string of ${n} bytes exceeds int16 length`);
      this.int16(n);
    }
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
    return this;
  }
  string(v: string): this {
    return this.text(v, false);
  }
  nullableString(v: string | null | undefined): this {
    return v == null ? this.int16(-1) : this.text(v, false);
  }
  compactString(v: string): this {
    return this.text(v, true);
  }
  compactNullableString(v: string | null | undefined): this {
    return v == null ? this.uvarint(0) : this.text(v, true);
  }

  bytes(v: Uint8Array): this {
    return this.int32(v.length).raw(v);
  }
  nullableBytes(v: Uint8Array | null | undefined): this {
    return v == null ? this.int32(-1) : this.bytes(v);
  }
  compactBytes(v: Uint8Array): this {
    return this.uvarint(v.length + 1).raw(v);
  }
  compactNullableBytes(v: Uint8Array | null | undefined): this {
    return v == null ? this.uvarint(0) : this.compactBytes(v);
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const it of items) write(this, it);
    return this;
  }
  nullableArray<T>(items: readonly T[] | null | undefined, write: (w: Writer, item: T) => void): this {
    return items == null ? this.int32(-1) : this.array(items, write);
  }
  compactArray<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const it of items) write(this, it);
    return this;
  }
  compactNullableArray<T>(items: readonly T[] | null | undefined, write: (w: Writer, item: T) => void): this {
    return items == null ? this.uvarint(0) : this.compactArray(items, write);
  }

  /** Writes a tagged-fields section from raw fields (already sorted by tag by the caller or generated code). */
  taggedFields(fields: readonly TaggedField[] | undefined): this {
    if (!fields || fields.length === 0) return this.uvarint(0);
    const sorted = [...fields].sort((a, b) => a.tag - b.tag);
    this.uvarint(sorted.length);
    for (const f of sorted) this.uvarint(f.tag).uvarint(f.data.length).raw(f.data);
    return this;
  }

  /** Reserves 4 bytes for an int32 size prefix; returns the position to pass to `endSize`. */
  startSize(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }
  /** Fills a reserved size prefix with the number of bytes written after it. */
  endSize(at: number): this {
    this.buf.writeInt32BE(this.pos - at - 4, at);
    return this;
  }
}

/** Encodes a value with a fresh writer and returns just its bytes. */
export function encodeToBuffer(write: (w: Writer) => void, initialSize = 256): Buffer {
  const w = new Writer(initialSize);
  write(w);
  return w.finish();
}
