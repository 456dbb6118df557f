// The data work of a cleaning pass, on file descriptors only, so that it runs the same on the event loop or in the
// cleaner's worker thread (cleaner-worker.ts): the transaction scan (txn-scan.ts), the key -> latest offset map of
// the dirty section, and the filtering of one group of segments into a cleaned log file. Every batch read is
// CRC-checked first. On the event loop, codecs run in the libuv pool and, per 1 MiB chunk, every batch's
// decompression (mapping) or filtering (cleaning) starts at once so they run in parallel; in the worker thread they
// run synchronously, keeping the cleaner on one core. Results are taken in offset order. The engine yields between
// chunks and gives up when the shared stop flag is set.
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_OFFSETS, ProtocolError, validateRecordBatch } from '@tributary/protocol';
import * as fs from 'node:fs';
import { emptyFilterStats, filterBatch, recordsSection, type FilterContext, type FilterStats } from './batch-filter';
import { OffsetMap } from './offset-map';
import { RecordScan } from './record-scan';
import { CleanerStoppedError, CleaningError, FdReader, batchAt, batchStarts, type SourceFile } from './segment-reader';
import { scanTransactions, type TxnScan } from './txn-scan';

export interface EngineOptions {
  /** log.cleaner.dedupe.buffer.size */
  memoryBytes: number;
  chunkBytes: number;
  /** [0] !== 0: stop. Shared with the main thread when the engine runs in the worker. */
  stop: Int32Array;
  /** In the worker thread: run codecs synchronously, so the cleaner uses one core (as a Kafka cleaner thread does). */
  syncCodecs?: boolean;
}

export interface ScanResult {
  firstUnstableOffset: bigint | undefined;
  markers: number;
}

export interface MapRequest {
  /** The dirty segments, in order, and where in each the mapping starts. */
  files: SourceFile[];
  starts: number[];
  firstDirty: bigint;
  uncleanable: bigint;
}

export interface MapResult {
  /** Where the mapping stopped: uncleanable, or the first batch that did not fit. */
  end: bigint;
  full: boolean;
  keysMapped: number;
  bytesRead: number;
}

export interface FilterRequest {
  /** The group's segments, in order. */
  sources: SourceFile[];
  /** The `.cleaned` log file, empty. */
  outFd: number;
  mappedEnd: bigint;
  nowMs: bigint;
  deleteRetentionMs: bigint;
  /** Several segments: write them even if no batch changes. */
  merge: boolean;
}

/** The batches written, for the offset and time indexes (built by the main thread). */
export interface OutputBatches {
  count: number;
  baseOffsets: BigInt64Array;
  lastOffsets: BigInt64Array;
  maxTimestamps: BigInt64Array;
  sizes: Int32Array;
}

export interface FilterResult extends FilterStats {
  /** False when a single-segment group needed no change: nothing was written. */
  changed: boolean;
  bytesRead: number;
  bytesWritten: number;
  batches: OutputBatches;
}

const FLUSH_BYTES = 1024 * 1024;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function writeAt(fd: number, buf: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= buf.length) return resolve();
      fs.write(fd, buf, done, buf.length - done, position + done, (e, n) => (e ? reject(e) : step(done + n)));
    };
    step(0);
  });
}

/** Batches appended to the cleaned file: copied into a 1 MiB buffer, written out when it fills. */
class Output {
  private readonly pending = Buffer.allocUnsafe(FLUSH_BYTES);
  private pendingBytes = 0;
  written = 0;
  count = 0;
  private baseOffsets: BigInt64Array = new BigInt64Array(256);
  private lastOffsets: BigInt64Array = new BigInt64Array(256);
  private maxTimestamps: BigInt64Array = new BigInt64Array(256);
  private sizes: Int32Array = new Int32Array(256);

  constructor(private readonly fd: number) {}

  async append(batch: Buffer): Promise<void> {
    if (this.count === this.sizes.length) this.grow();
    const base = batch.readBigInt64BE(BATCH_OFFSETS.baseOffset);
    this.baseOffsets[this.count] = base;
    this.lastOffsets[this.count] = base + BigInt(batch.readInt32BE(BATCH_OFFSETS.lastOffsetDelta));
    this.maxTimestamps[this.count] = batch.readBigInt64BE(BATCH_OFFSETS.maxTimestamp);
    this.sizes[this.count++] = batch.length;
    if (this.pendingBytes + batch.length > this.pending.length) await this.flush();
    if (batch.length > this.pending.length) {
      await writeAt(this.fd, batch, this.written);
      this.written += batch.length;
      return;
    }
    batch.copy(this.pending, this.pendingBytes);
    this.pendingBytes += batch.length;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const n = this.pendingBytes;
    this.pendingBytes = 0;
    await writeAt(this.fd, this.pending.subarray(0, n), this.written);
    this.written += n;
  }

  batches(): OutputBatches {
    const n = this.count;
    return {
      count: n,
      baseOffsets: this.baseOffsets.slice(0, n),
      lastOffsets: this.lastOffsets.slice(0, n),
      maxTimestamps: this.maxTimestamps.slice(0, n),
      sizes: this.sizes.slice(0, n),
    };
  }

  private grow(): void {
    const n = this.sizes.length * 2;
    const big = (a: BigInt64Array): BigInt64Array => {
      const b = new BigInt64Array(n);
      b.set(a);
      return b;
    };
    this.baseOffsets = big(this.baseOffsets);
    this.lastOffsets = big(this.lastOffsets);
    this.maxTimestamps = big(this.maxTimestamps);
    const sizes = new Int32Array(n);
    sizes.set(this.sizes);
    this.sizes = sizes;
  }
}

function checkBatch(file: SourceFile, buf: Buffer, p: number, at: number): void {
  try {
    validateRecordBatch(buf, p);
  } catch (e) {
    if (e instanceof ProtocolError) throw new CleaningError(`${file.name}: batch at ${at + p}: ${e.message}`);
    throw e;
  }
}

export class CleanEngine {
  private readonly map: OffsetMap;
  private txn: TxnScan | undefined;
  private readonly scan = new RecordScan();

  constructor(private readonly opts: EngineOptions) {
    this.map = new OffsetMap(opts.memoryBytes);
  }

  private checkStop = (): void => {
    if (Atomics.load(this.opts.stop, 0) !== 0) throw new CleanerStoppedError();
  };

  /** Step 1: transaction state of the whole partition (every segment, the active one up to its size). */
  async scanTransactions(files: SourceFile[]): Promise<ScanResult> {
    this.txn = await scanTransactions(files, this.checkStop);
    return { firstUnstableOffset: this.txn.firstUnstableOffset, markers: this.txn.markers };
  }

  /** Step 2: key -> latest offset over [firstDirty, uncleanable), until the map is full. */
  async buildMap(req: MapRequest): Promise<MapResult> {
    const { map, scan } = this;
    const txn = this.txnState();
    map.clear(req.firstDirty);
    let bytesRead = 0;
    const done = (end: bigint, full: boolean): MapResult => ({ end, full, keysMapped: map.size, bytesRead });
    for (const [i, file] of req.files.entries()) {
      const reader = new FdReader(file, req.starts[i], this.opts.chunkBytes);
      try {
        for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
          const { buf, at } = chunk;
          bytesRead += buf.length;
          const starts = batchStarts(buf);
          // decompression of every batch of the chunk starts at once; the records are then mapped in offset order
          const sections = starts.map((p) => {
            const attributes = buf.readInt16BE(p + BATCH_OFFSETS.attributes);
            const baseOffset = buf.readBigInt64BE(p);
            const lastOffset = baseOffset + BigInt(buf.readInt32BE(p + BATCH_OFFSETS.lastOffsetDelta));
            const aborted = (attributes & ATTR_TRANSACTIONAL) !== 0 && txn.aborted.has(baseOffset);
            if (lastOffset < req.firstDirty || baseOffset >= req.uncleanable || attributes & ATTR_CONTROL || aborted) return undefined;
            checkBatch(file, buf, p, at);
            const section = recordsSection(batchAt(buf, p), this.opts.syncCodecs === true);
            if (section instanceof Promise) section.catch(() => undefined);
            return section;
          });
          for (let b = 0; b < starts.length; b++) {
            const p = starts[b];
            const baseOffset = buf.readBigInt64BE(p);
            if (baseOffset >= req.uncleanable) return done(req.uncleanable, false);
            const section = sections[b];
            if (section === undefined) continue;
            const count = buf.readInt32BE(p + BATCH_OFFSETS.recordCount);
            if (count > map.free) {
              if (map.size === 0) {
                throw new CleaningError(`a batch of ${count} records does not fit the offset map (${map.maxEntries} entries): raise log.cleaner.dedupe.buffer.size`);
              }
              return done(baseOffset > req.firstDirty ? baseOffset : req.firstDirty, true);
            }
            const plain = section instanceof Promise ? await section : section;
            scan.reset(plain, 0, plain.length, count);
            while (scan.next()) {
              const offset = baseOffset + BigInt(scan.offsetDelta);
              if (scan.keyLength >= 0 && offset >= req.firstDirty) map.put(plain, scan.keyStart, scan.keyLength, offset);
            }
          }
          await yieldToLoop();
          this.checkStop();
        }
      } finally {
        await reader.close();
      }
    }
    return done(req.uncleanable, false);
  }

  /** Step 3: one group of segments through the filter into the cleaned file. */
  async filter(req: FilterRequest): Promise<FilterResult> {
    const txn = this.txnState();
    const ctx: FilterContext = {
      map: this.map,
      mappedEnd: req.mappedEnd,
      nowMs: req.nowMs,
      deleteRetentionMs: req.deleteRetentionMs,
      aborted: txn.aborted,
      lastDataOffset: txn.lastDataOffset,
      syncCodecs: this.opts.syncCodecs === true,
    };
    const stats = emptyFilterStats();
    const out = new Output(req.outFd);
    let changed = req.merge;
    let bytesRead = 0;
    for (const file of req.sources) {
      const reader = new FdReader(file, 0, this.opts.chunkBytes);
      try {
        for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
          const { buf, at } = chunk;
          bytesRead += buf.length;
          const starts = batchStarts(buf);
          const decided = starts.map((p) => {
            checkBatch(file, buf, p, at);
            const d = filterBatch(batchAt(buf, p), ctx, stats);
            if (d instanceof Promise) d.catch(() => undefined);
            return d;
          });
          for (let b = 0; b < starts.length; b++) {
            const d = decided[b];
            const outcome = d instanceof Promise ? await d : d;
            if (outcome.kind !== 'keep' && !changed) {
              // the first change in a single-segment group: copy the unchanged batches before it, then go on
              changed = true;
              await this.copy(file, at + starts[b], out);
            }
            if (!changed) continue;
            if (outcome.kind === 'keep') await out.append(batchAt(buf, starts[b]));
            else if (outcome.kind === 'rewrite') await out.append(outcome.bytes);
          }
          await yieldToLoop();
          this.checkStop();
        }
      } finally {
        await reader.close();
      }
    }
    await out.flush();
    return { ...stats, changed, bytesRead, bytesWritten: out.written, batches: out.batches() };
  }

  /** Copies file[0, end) to out unchanged. */
  private async copy(file: SourceFile, end: number, out: Output): Promise<void> {
    const reader = new FdReader(file, 0, this.opts.chunkBytes, end);
    try {
      for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
        for (const p of batchStarts(chunk.buf)) await out.append(batchAt(chunk.buf, p));
      }
    } finally {
      await reader.close();
    }
  }

  private txnState(): TxnScan {
    if (!this.txn) throw new Error('scanTransactions must run first');
    return this.txn;
  }
}
