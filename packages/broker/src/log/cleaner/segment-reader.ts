// How the cleaner reads segments. The main thread opens a read-only descriptor of its own for every segment of a
// pass while the segment is still in the log's list (openSegmentFile); retention or a concurrent close cannot pull
// the data from under it afterwards (on Linux an unlinked file stays readable through an open descriptor), and the
// descriptor works from the cleaner's worker thread too (descriptors belong to the process). FdReader then reads
// [position, limit) in chunks of whole batches into two buffers used in turn: while the caller works on one chunk
// the next is being read. A chunk stays valid until the call after next; the cleaner copies what it keeps. A batch
// larger than the buffers is read into a buffer of its own.
import * as fs from 'node:fs';
import { BATCH_OFFSETS, LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE } from '@tributary/protocol';

/** Corrupt or impossible data: the partition is left alone until restart. */
export class CleaningError extends Error {}

/** A segment left the log (retention, truncation, deletion) before the pass could open it: retried next round. */
export class SegmentGoneError extends Error {}

/** The cleaner is stopping: the pass gives up at its next chunk. */
export class CleanerStoppedError extends Error {
  constructor() {
    super('the log cleaner is stopping');
  }
}

/** A segment file for a pass: a descriptor the cleaner owns and the bytes of whole batches it may read. */
export interface SourceFile {
  fd: number;
  limit: number;
  /** For messages. */
  name: string;
}

/** Opens a segment's log file read-only; call only while the segment is in its log's list (else it may be gone). */
export function openSegmentFile(file: string, limit: number, isLive: () => boolean): SourceFile {
  if (!isLive()) throw new SegmentGoneError(`${file} left the log before the cleaner read it`);
  try {
    return { fd: fs.openSync(file, 'r'), limit, name: file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SegmentGoneError(`${file} left the log before the cleaner read it`);
    throw e;
  }
}

export function closeSourceFiles(files: readonly SourceFile[]): void {
  for (const f of files) fs.closeSync(f.fd);
}

export interface Chunk {
  /** Whole batches. */
  buf: Buffer;
  /** File position of buf[0]. */
  at: number;
}

function readAt(fd: number, buf: Buffer, len: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= len) return resolve(done);
      fs.read(fd, buf, done, len - done, position + done, (e, n) => (e ? reject(e) : n === 0 ? resolve(done) : step(done + n)));
    };
    step(0);
  });
}

/** Length of the longest prefix of buf[0, len) made of whole batches. */
function wholeBatches(buf: Buffer, len: number): number {
  let p = 0;
  while (p + LOG_OVERHEAD <= len) {
    const size = buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_SIZE || p + size > len) break;
    p += size;
  }
  return p;
}

/** Start offsets of the whole batches in a chunk. */
export function batchStarts(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let p = 0; p < buf.length; p += buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD) starts.push(p);
  return starts;
}

/** The batch starting at p of a chunk. */
export const batchAt = (buf: Buffer, p: number): Buffer => buf.subarray(p, p + buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD);

export class FdReader {
  private readonly bufs: [Buffer, Buffer];
  private turn = 0;
  private ahead: Promise<Chunk> | undefined;

  constructor(
    private readonly file: SourceFile,
    private position: number,
    chunkBytes: number,
    private readonly limit = file.limit,
  ) {
    this.bufs = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  }

  /** The next chunk, or undefined at the end. */
  async next(): Promise<Chunk | undefined> {
    if (this.position >= this.limit) return undefined;
    const chunk = await (this.ahead ?? this.read(this.position, this.bufs[this.turn]));
    this.ahead = undefined;
    this.position = chunk.at + chunk.buf.length;
    this.turn ^= 1;
    if (this.position < this.limit) {
      this.ahead = this.read(this.position, this.bufs[this.turn]);
      this.ahead.catch(() => undefined); // surfaced by the next call
    }
    return chunk;
  }

  private async read(at: number, buf: Buffer): Promise<Chunk> {
    const got = await readAt(this.file.fd, buf, Math.min(buf.length, this.limit - at), at);
    let whole = wholeBatches(buf, got);
    if (whole > 0) return { buf: buf.subarray(0, whole), at };
    if (got < LOG_OVERHEAD) throw new CleaningError(`${this.file.name}: no whole batch at ${at}`);
    const size = buf.readInt32BE(BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_SIZE || at + size > this.limit) throw new CleaningError(`${this.file.name}: batch at ${at} runs past the segment end`);
    const big = Buffer.allocUnsafe(size);
    whole = wholeBatches(big, await readAt(this.file.fd, big, size, at));
    if (whole === 0) throw new CleaningError(`${this.file.name}: no whole batch at ${at}`);
    return { buf: big.subarray(0, whole), at };
  }

  /** Waits for a read in flight (the descriptor may be closed after this). */
  async close(): Promise<void> {
    await this.ahead?.catch(() => undefined);
    this.ahead = undefined;
  }
}
