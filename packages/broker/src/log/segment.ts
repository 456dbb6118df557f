// One log segment: `<20-digit base offset>.log` holding RecordBatch v2 bytes exactly as appended (offsets
// stamped), with its sparse `.index` and `.timeindex`. Appends are one positional writeSync of the whole
// request; index entries are kept in memory and written lazily (see index-file.ts). Lookups go index entry ->
// batch-header scan. A segment is replaced or removed by renaming its files to `*.deleted` and closing them
// once no read is in flight and file.delete.delay.ms has passed, so a segment list can be swapped atomically
// (retention now, the compactor later). Opening and recovering an existing segment is in segment-recovery.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppendBatch } from './append-validator';
import { lookupScanner, type BatchHeaderView } from './batch-scanner';
import { readRange, syncDirectory, writeFully, type SyncFn } from './file-io';
import type { LogConfig } from './log-config';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

export interface SegmentSettings {
  indexIntervalBytes: number;
  /** segment.index.bytes: caps both indexes (8-byte and 12-byte entries). */
  segmentIndexBytes: number;
}

export const segmentSettings = (config: LogConfig): SegmentSettings => ({
  indexIntervalBytes: config.indexIntervalBytes,
  segmentIndexBytes: config.segmentIndexBytes,
});

export const segmentFileName = (baseOffset: bigint, suffix: '.log' | '.index' | '.timeindex'): string =>
  baseOffset.toString().padStart(20, '0') + suffix;

/** The base offset of a `<20 digits>.log` file name, or undefined. */
export function parseSegmentFileName(name: string): bigint | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? BigInt(m[1]) : undefined;
}

const noop = (): void => undefined;

export class Segment {
  /** Bytes of whole batches in the file. */
  size = 0;
  /** One past the last offset in the segment (baseOffset when empty). */
  nextOffset: bigint;
  maxTimestamp = -1n;
  /** Base offset of the batch holding maxTimestamp, or -1n. */
  offsetOfMaxTimestamp = -1n;
  /** Max timestamp of the first batch: what segment.ms is measured from (Kafka's rollingBasedTimestamp). */
  rollingBaseTimestamp = -1n;
  readonly createdAtMs: number;
  rollJitterMs = 0;
  indexIntervalBytes: number;
  bytesSinceIndexEntry = 0;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** A new file's directory entry is not durable until the directory is fsynced. */
  dirSyncPending = false;
  /** Bytes covered by the last completed fdatasync. */
  syncedSize = 0;
  private sealed = false;
  private closed = false;
  private deleted = false;
  private readers = 0;
  private syncing: Promise<void> | undefined;
  private idle: (() => void)[] = [];

  /** @internal use Segment.create or openSegment */
  constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    settings: SegmentSettings,
    readonly fd: number,
    nowMs: number,
  ) {
    this.nextOffset = baseOffset;
    this.createdAtMs = nowMs;
    this.indexIntervalBytes = settings.indexIntervalBytes;
    this.offsetIndex = new OffsetIndex(this.filePath('.index'), Math.max(1, Math.floor(settings.segmentIndexBytes / 8)));
    this.timeIndex = new TimeIndex(this.filePath('.timeindex'), Math.max(1, Math.floor(settings.segmentIndexBytes / 12)));
  }

  /** Creates an empty segment (truncating leftovers of the same name). */
  static create(dir: string, baseOffset: bigint, settings: SegmentSettings, nowMs: number): Segment {
    const file = path.join(dir, segmentFileName(baseOffset, '.log'));
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
    const seg = new Segment(dir, baseOffset, settings, fd, nowMs);
    seg.offsetIndex.rewrite();
    seg.timeIndex.rewrite();
    seg.dirSyncPending = true;
    return seg;
  }

  filePath(suffix: '.log' | '.index' | '.timeindex'): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, suffix));
  }
  get isEmpty(): boolean {
    return this.size === 0;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Holds data (or a directory entry) not yet covered by an fdatasync. */
  get isDirty(): boolean {
    return this.size > this.syncedSize || this.dirSyncPending;
  }

  /** Writes the whole append in one syscall and indexes its batches. On a write error the file is cut back. */
  append(records: Buffer, batches: readonly AppendBatch[]): void {
    const start = this.size;
    try {
      writeFully(this.fd, records, start);
    } catch (e) {
      try {
        fs.ftruncateSync(this.fd, start);
      } catch {
        // the log will be marked offline by the caller; recovery truncates on restart
      }
      throw e;
    }
    for (const b of batches) {
      this.trackBatch(start + b.position, Number(b.baseOffset - this.baseOffset), b.size, b.maxTimestamp);
    }
    const last = batches[batches.length - 1];
    this.size = start + records.length;
    this.nextOffset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
  }

  /** Index and timestamp bookkeeping for a batch at position (Kafka's rule: an entry once > interval bytes). */
  trackBatch(position: number, relOffset: number, size: number, maxTimestamp: bigint): void {
    if (position === 0) this.rollingBaseTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = this.baseOffset + BigInt(relOffset);
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(relOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, Number(this.offsetOfMaxTimestamp - this.baseOffset));
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
  }

  /**
   * @internal Where a header scan for relOffset may start: the index entry at or before it, checked against the
   * batch it names (an entry that does not land on its batch is ignored and the scan starts at 0: slow but right).
   * Resets nothing: call after lookupScanner.reset(this.fd, this.size).
   */
  scanStart(relOffset: number): number {
    const i = this.offsetIndex.slotFor(relOffset);
    if (i < 0) return 0;
    const pos = this.offsetIndex.positionAt(i);
    const h = lookupScanner.header(pos);
    if (h && h.baseOffset === this.baseOffset + BigInt(this.offsetIndex.relOffsetAt(i))) return pos;
    this.indexMismatches++;
    return 0;
  }

  /** Lookups that found an index entry not matching the log (recovery rebuilds such indexes). */
  indexMismatches = 0;

  /** The batch containing offset (the first batch whose last offset is >= offset), or undefined. */
  findBatch(offset: bigint): BatchHeaderView | undefined {
    if (offset >= this.nextOffset) return undefined;
    const rel = offset <= this.baseOffset ? 0 : Number(offset - this.baseOffset);
    const scanner = lookupScanner.reset(this.fd, this.size);
    let pos = this.scanStart(rel);
    for (;;) {
      const h = scanner.header(pos);
      if (!h) return undefined;
      if (h.baseOffset + BigInt(h.lastOffsetDelta) >= offset) return h;
      pos += h.size;
    }
  }

  /** Reads [position, position+length) of the log; short if the segment was truncated meanwhile. */
  async read(position: number, length: number): Promise<Buffer> {
    this.readers++;
    try {
      return await readRange(this.fd, position, Math.min(length, Math.max(0, this.size - position)));
    } finally {
      if (--this.readers === 0) this.wakeIdle();
    }
  }

  /** Largest timestamp for time retention: the max batch timestamp, else the file's modification time. */
  retentionTimestampMs(): number {
    if (this.maxTimestamp >= 0n) return Number(this.maxTimestamp);
    return fs.fstatSync(this.fd).mtimeMs;
  }

  /** Appends lazily kept index entries to the index files (no fsync). */
  writeIndexes(): void {
    if (this.closed || this.deleted) return;
    this.offsetIndex.writePending();
    this.timeIndex.writePending();
  }

  /** Called when the segment stops being active: records the final time-index entry; the next sync writes it. */
  seal(): void {
    this.appendFinalTimeEntry();
    this.sealed = true;
  }

  /** Kafka's rule on roll and close: the time index ends with the segment's max timestamp. */
  private appendFinalTimeEntry(): void {
    if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, Number(this.offsetOfMaxTimestamp - this.baseOffset));
  }

  /** Makes a sealed segment active again (after the segments behind it were truncated away). */
  reactivate(): void {
    this.sealed = false;
  }

  /** fdatasync of the log (plus the directory for a new file, plus the index files once sealed). */
  sync(syncFn: SyncFn): Promise<void> {
    if (this.closed || this.deleted) return Promise.resolve();
    const run = async (): Promise<void> => {
      const offsetEntries = this.offsetIndex.entries;
      const timeEntries = this.timeIndex.entries;
      const size = this.size;
      await syncFn(this.fd, true);
      if (size > this.syncedSize) this.syncedSize = size;
      if (!this.closed && !this.deleted) {
        // index entries reach the file only once the data they point at is durable
        this.offsetIndex.writePending(offsetEntries);
        this.timeIndex.writePending(timeEntries);
      }
      if (this.dirSyncPending) {
        this.dirSyncPending = false;
        await syncDirectory(this.dir, syncFn);
      }
      if (this.sealed) {
        for (const idx of [this.offsetIndex, this.timeIndex]) {
          if (idx.descriptor >= 0) await syncFn(idx.descriptor, true);
          idx.closeFile();
        }
      }
    };
    const p = (this.syncing ?? Promise.resolve()).then(run);
    const tracked: Promise<void> = p.then(noop, noop).then(() => {
      if (this.syncing === tracked) this.syncing = undefined;
      this.wakeIdle();
    });
    this.syncing = tracked;
    return p;
  }

  /** Drops every batch from the one containing offset onwards. Returns the bytes removed. */
  truncateFrom(position: number): number {
    const removed = this.size - position;
    fs.ftruncateSync(this.fd, position);
    this.size = position;
    if (this.syncedSize > position) this.syncedSize = position;
    return removed;
  }

  /** Renames the files to `*.deleted` now and removes them after delayMs, once no read or sync is in flight. */
  markDeleted(delayMs: number): void {
    if (this.deleted) return;
    this.deleted = true;
    const log = this.filePath('.log');
    fs.renameSync(log, `${log}.deleted`);
    this.offsetIndex.renameTo(`${this.offsetIndex.file}.deleted`);
    this.timeIndex.renameTo(`${this.timeIndex.file}.deleted`);
    const timer = setTimeout(() => void this.destroy(`${log}.deleted`), delayMs);
    timer.unref();
  }

  private async destroy(logFile: string): Promise<void> {
    await this.close();
    for (const f of [logFile, this.offsetIndex.file, this.timeIndex.file]) fs.rmSync(f, { force: true });
  }

  /** Waits for in-flight reads and syncs, writes the remaining index entries, then closes the descriptors. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.readers > 0 || this.syncing) await new Promise<void>((r) => this.idle.push(r));
    if (this.closed) return;
    if (!this.deleted) this.appendFinalTimeEntry();
    this.writeIndexes();
    this.closed = true;
    this.offsetIndex.closeFile();
    this.timeIndex.closeFile();
    fs.closeSync(this.fd);
  }

  private wakeIdle(): void {
    if (this.readers > 0 || this.syncing) return;
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }
}
