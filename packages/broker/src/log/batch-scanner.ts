// Walks RecordBatch headers in a segment file without decoding records. It keeps one chunk of the file in
// memory and reads the next chunk (synchronously, positional) only when a header or batch leaves it. Used by
// offset/timestamp lookups (from an index entry, so about index.interval.bytes of headers), by recovery (which
// also checks every batch's CRC) and by index rebuilds.
import { BATCH_OFFSETS, LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE } from '@tributary/protocol';
import { readFullySync } from './file-io';

/** Header fields of the batch at `position`, read in place from the scanner's chunk. */
export interface BatchHeaderView {
  position: number;
  /** Total bytes on disk (batchLength + 12). */
  size: number;
  baseOffset: bigint;
  magic: number;
  lastOffsetDelta: number;
  maxTimestamp: bigint;
}

export class BatchScanner {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  private fd = -1;
  private limit = 0;

  constructor(chunkSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  /** Points the scanner at a file whose valid bytes end at `limit`. */
  reset(fd: number, limit: number): this {
    this.fd = fd;
    this.limit = limit;
    this.start = this.end = 0;
    return this;
  }

  /** Makes [position, position+len) available in the chunk; false if the file ends before that. */
  private ensure(position: number, len: number): boolean {
    if (position + len > this.limit) return false;
    if (position >= this.start && position + len <= this.end) return true;
    if (len > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(len, this.buf.length * 2));
    const want = Math.min(this.buf.length, this.limit - position);
    const got = readFullySync(this.fd, this.buf, 0, want, position);
    this.start = position;
    this.end = position + got;
    return got >= len;
  }

  /**
   * The header of the batch at position, or undefined when fewer than a header's bytes remain, the length
   * field is impossible (shorter than a header) or the batch would run past the end of the file.
   */
  header(position: number): BatchHeaderView | undefined {
    if (!this.ensure(position, RECORD_BATCH_HEADER_SIZE)) return undefined;
    const o = position - this.start;
    const size = this.buf.readInt32BE(o + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_SIZE || position + size > this.limit) return undefined;
    return {
      position,
      size,
      baseOffset: this.buf.readBigInt64BE(o),
      magic: this.buf.readInt8(o + BATCH_OFFSETS.magic),
      lastOffsetDelta: this.buf.readInt32BE(o + BATCH_OFFSETS.lastOffsetDelta),
      maxTimestamp: this.buf.readBigInt64BE(o + BATCH_OFFSETS.maxTimestamp),
    };
  }

  /** The whole batch [position, position+size) as a view (valid until the next call). */
  bytes(position: number, size: number): Buffer | undefined {
    if (!this.ensure(position, size)) return undefined;
    const o = position - this.start;
    return this.buf.subarray(o, o + size);
  }
}

/** One shared scanner for the synchronous hot-path lookups (single-threaded, never held across an await). */
export const lookupScanner = new BatchScanner();
