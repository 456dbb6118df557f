// Per-record framing of a RecordBatch v2 records section, read in place: where each record starts and ends, its
// timestamp and offset deltas, where its key is and whether its value is null. This is all the cleaner (and the
// keyless-record check on compacted topics) needs: no objects per record, no copies, and a retained record is
// copied as its own bytes. Layout of one record (KIP-98), varints zigzag-encoded:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint | keyLength varint | key |
//   valueLength varint | value | headerCount varint | headers...
// Every length is checked against the record's own bytes; a malformed record throws ProtocolError.
import { ProtocolError } from '@tributary/protocol';

const malformed = (what: string): ProtocolError => new ProtocolError('malformed', `record ${what}`);

/** A cursor over the records of one (decompressed) records section. Fields describe the current record. */
export class RecordScan {
  private pos = 0;
  private end = 0;
  private left = 0;
  /** Position of the record's length varint (the record's first byte). */
  start = 0;
  /** One past the record's last byte. */
  stop = 0;
  /** Position of the attributes byte (first byte of the body). */
  bodyStart = 0;
  /** Position right after the timestampDelta varlong (the offsetDelta varint). */
  afterTimestamp = 0;
  timestampDelta = 0;
  offsetDelta = 0;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = -1;
  /** -1 for a null value (a tombstone). */
  valueLength = -1;
  buf: Buffer = Buffer.alloc(0);

  /** Points the cursor at `count` records filling buf[start, end). */
  reset(buf: Buffer, start: number, end: number, count: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.left = count;
    return this;
  }

  /** Advances to the next record; false after the last one (then checks the section was used up exactly). */
  next(): boolean {
    if (this.left === 0) {
      if (this.pos !== this.end) throw malformed(`section has ${this.end - this.pos} bytes after its last record`);
      return false;
    }
    this.left--;
    this.start = this.pos;
    const length = this.varint('length');
    if (length < 0 || length > this.end - this.pos) throw malformed(`length ${length} exceeds the batch`);
    const stop = this.pos + length;
    const outer = this.end;
    this.end = stop;
    this.bodyStart = this.pos;
    this.pos++; // attributes
    this.timestampDelta = this.varlong('timestampDelta');
    this.afterTimestamp = this.pos;
    this.offsetDelta = this.varint('offsetDelta');
    this.keyLength = this.varint('key length');
    if (this.keyLength < -1 || this.keyLength > this.end - this.pos) throw malformed(`key length ${this.keyLength}`);
    this.keyStart = this.pos;
    if (this.keyLength > 0) this.pos += this.keyLength;
    this.valueLength = this.varint('value length');
    if (this.valueLength < -1 || this.valueLength > this.end - this.pos) throw malformed(`value length ${this.valueLength}`);
    if (this.pos > stop) throw malformed('fields exceed its length');
    this.end = outer;
    this.stop = this.pos = stop;
    return true;
  }

  private varint(what: string): number {
    const buf = this.buf;
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw malformed(`${what} is truncated`);
      const b = buf[this.pos++];
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
    }
    throw malformed(`${what}: varint longer than 5 bytes`);
  }

  /** Zigzag varlong as a number (deltas between timestamps of one batch fit comfortably). */
  private varlong(what: string): number {
    const buf = this.buf;
    let u = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed(`${what} is truncated`);
      const b = buf[this.pos++];
      u += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        if (u > Number.MAX_SAFE_INTEGER) throw malformed(`${what} out of range`);
        return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
    throw malformed(`${what}: varlong longer than 10 bytes`);
  }
}

/** Bytes of the zigzag varlong of v (a safe integer). */
export function sizeOfVarlong(v: number): number {
  let u = v >= 0 ? 2 * v : -2 * v - 1;
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Writes the zigzag varlong of v (a safe integer) at pos; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let u = v >= 0 ? 2 * v : -2 * v - 1;
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

/** Bytes of the zigzag varint of v (32-bit). */
export function sizeOfVarint(v: number): number {
  return sizeOfVarlong(v);
}
