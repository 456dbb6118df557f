// The segment a cleaning pass writes, and the swap that puts it in place of the segments it replaces (Kafka's
// protocol). While being written, its files are `<base>.log.cleaned`, `.index.cleaned` and `.timeindex.cleaned`,
// where <base> is the base offset of the first replaced segment. Then, after the log and indexes are fdatasynced, in one synchronous step:
//   1. `*.cleaned` -> `*.swap`, the log last: `<base>.log.swap` existing is the commit point;
//   2. the replaced segments are retired (`*.deleted`, closed and unlinked once no read uses them);
//   3. `*.swap` -> final names, the log last, and the segment list is swapped;
// and the directory is fsynced. Recovery (swap-recovery.ts) deletes `*.cleaned` (roll back) and completes a
// `.swap` (roll forward). Offsets are preserved, so the new segment's offset and time indexes are rebuilt with the
// same rules as appends (Segment.trackBatch). Transaction index files (`<base>.txnindex`) are left where they are:
// the producer state store names them after the segment that held each ABORT marker when it was appended and loads
// every one at or above the first segment, so they stay right whichever segments are merged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SyncFn } from '../file-io';
import { Segment, segmentFileName, type SegmentSettings } from '../segment';
import type { OutputBatches } from './clean-engine';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

export class CleanedSegment {
  private readonly logPath: string;
  private closed = false;

  private constructor(readonly segment: Segment) {
    this.logPath = segment.filePath('.log');
  }

  /** Opens `<base>.log.cleaned` (truncating a leftover) for a segment starting at baseOffset. */
  static create(dir: string, baseOffset: bigint, settings: SegmentSettings, nowMs: number): CleanedSegment {
    const file = path.join(dir, segmentFileName(baseOffset, '.log') + CLEANED_SUFFIX);
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
    const seg = new Segment(dir, baseOffset, settings, fd, nowMs);
    // nothing is on disk yet: these only point the indexes at their `.cleaned` names
    seg.offsetIndex.renameTo(seg.offsetIndex.file + CLEANED_SUFFIX);
    seg.timeIndex.renameTo(seg.timeIndex.file + CLEANED_SUFFIX);
    return new CleanedSegment(seg);
  }

  get size(): number {
    return this.segment.size;
  }

  /** The `.cleaned` log file's descriptor (the engine writes the batches). */
  get fd(): number {
    return this.segment.fd;
  }

  /** Indexes the batches the engine wrote, in file order (offsets and time index, as appends would). */
  track(batches: OutputBatches): void {
    const seg = this.segment;
    for (let i = 0; i < batches.count; i++) {
      seg.trackBatch(seg.size, Number(batches.baseOffsets[i] - seg.baseOffset), batches.sizes[i], batches.maxTimestamps[i]);
      seg.size += batches.sizes[i];
      seg.nextOffset = batches.lastOffsets[i] + 1n;
    }
  }

  /**
   * fdatasyncs the log (the engine wrote it), writes and fdatasyncs its indexes, and seals the segment. The log file
   * takes the modification time of `last` (the last replaced segment), as Kafka's cleaner does: retention falls
   * back to it when the segment holds no timestamps (emptied by cleaning).
   */
  async finish(syncFn: SyncFn, last: Segment): Promise<void> {
    const seg = this.segment;
    if (!last.isClosed) {
      const { atime, mtime } = fs.fstatSync(last.fd);
      fs.futimesSync(seg.fd, atime, mtime);
    }
    await syncFn(seg.fd, true);
    seg.syncedSize = seg.size;
    seg.seal();
    for (const idx of [seg.offsetIndex, seg.timeIndex]) {
      idx.rewrite();
      await syncFn(idx.descriptor, true);
      idx.closeFile();
    }
  }

  /**
   * The synchronous swap: `.cleaned` -> `.swap` (commit), retire `replaced`, `.swap` -> final names. Returns the
   * live segment. Throws only on a rename failure before the commit point (the caller discards the files).
   */
  commit(replaced: readonly Segment[], deleteDelayMs: number): Segment {
    const seg = this.segment;
    const index = (p: string): string => p.slice(0, -CLEANED_SUFFIX.length);
    seg.offsetIndex.renameTo(index(seg.offsetIndex.file) + SWAP_SUFFIX);
    seg.timeIndex.renameTo(index(seg.timeIndex.file) + SWAP_SUFFIX);
    fs.renameSync(this.logPath + CLEANED_SUFFIX, this.logPath + SWAP_SUFFIX); // the commit point
    this.closed = true; // past it, a failure is finished by recovery, never undone by discard()
    for (const old of replaced) old.markDeleted(deleteDelayMs);
    seg.offsetIndex.renameTo(seg.filePath('.index'));
    seg.timeIndex.renameTo(seg.filePath('.timeindex'));
    fs.renameSync(this.logPath + SWAP_SUFFIX, this.logPath);
    return seg;
  }

  /** Closes and removes the `.cleaned` files (a pass that was stopped or lost a race). */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    const seg = this.segment;
    seg.offsetIndex.closeFile();
    seg.timeIndex.closeFile();
    try {
      fs.closeSync(seg.fd);
    } catch {
      // already closed
    }
    for (const f of [this.logPath + CLEANED_SUFFIX, seg.offsetIndex.file, seg.timeIndex.file]) fs.rmSync(f, { force: true });
  }
}
