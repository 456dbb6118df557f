// Removing data from a partition log: DeleteRecords (moves the log start, persisted in the per-partition
// `log-start-offset-checkpoint` = "0\n<offset>\n" written atomically, then drops whole segments below it;
// retention needs no checkpoint since the first remaining segment's base offset says where the log starts), retention by retention.ms / retention.bytes (oldest whole segments first,
// never the active one, only when cleanup.policy includes delete), and truncation for recovery. Removed
// segments leave the segment list at once and their files are renamed `*.deleted`, then closed and unlinked
// after file.delete.delay.ms once no read is using them.
import * as fs from 'node:fs';
import { writeFileAtomic, type SyncFn } from './file-io';
import { LogError } from './log-errors';
import type { PartitionLog } from './partition-log';
import { Segment, segmentSettings } from './segment';
import { truncateSegmentTo } from './segment-recovery';

export class LogRetention {
  constructor(private readonly log: PartitionLog) {}

  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const log = this.log;
    log.checkAvailable();
    if (offset < 0n || offset > log.highWatermark) {
      throw new LogError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: high watermark is ${log.highWatermark}`);
    }
    if (offset > log.logStartOffset) {
      await log.setLogStartOffset(offset, true);
      this.deleteLeading(this.belowLogStart());
    }
    return log.logStartOffset;
  }

  /** Number of leading segments entirely below the log start (their successor starts at or before it). */
  private belowLogStart(): number {
    const segs = this.log.segments;
    let n = 0;
    while (n < segs.length - 1 && segs[n + 1].baseOffset <= this.log.logStartOffset) n++;
    return n;
  }

  async apply(nowMs: number): Promise<number> {
    const log = this.log;
    if (log.segments.length < 2) return 0;
    log.checkAvailable();
    const { config } = log;
    const segs = log.segments;
    const last = segs.length - 1;
    let n = this.belowLogStart();
    if (config.deleteEnabled) {
      if (Number.isFinite(config.retentionMs)) {
        while (n < last && nowMs - segs[n].retentionTimestampMs() > config.retentionMs) n++;
      }
      if (config.retentionBytes >= 0) {
        let excess = log.size - config.retentionBytes;
        for (let i = 0; i < n; i++) excess -= segs[i].size;
        while (n < last && excess >= segs[n].size) excess -= segs[n++].size;
      }
    }
    this.deleteLeading(n);
    return n;
  }

  private deleteLeading(n: number): void {
    if (n <= 0) return;
    const log = this.log;
    const segs = log.segments;
    log.replaceSegments(segs.slice(n));
    for (const seg of segs.slice(0, n)) seg.markDeleted(log.config.fileDeleteDelayMs);
    const first = log.segments[0].baseOffset;
    if (first > log.logStartOffset) void log.setLogStartOffset(first, false);
    log.logger.info(`${log.dir}: deleted ${n} segment(s); log start offset ${log.logStartOffset}`);
  }

  async truncateTo(offset: bigint): Promise<bigint> {
    const log = this.log;
    log.checkAvailable();
    if (offset >= log.logEndOffset) return log.logEndOffset;
    const segs = log.segments;
    if (offset <= segs[0].baseOffset) {
      for (const seg of segs) seg.markDeleted(0);
      const seg = Segment.create(log.dir, offset < 0n ? 0n : offset, segmentSettings(log.config), log.clock());
      log.replaceSegments([seg]);
      log.setLogEndOffset(seg.baseOffset);
      await log.setLogStartOffset(seg.baseOffset, true);
      return seg.baseOffset;
    }
    const keep = segs.filter((s) => s.baseOffset < offset);
    log.replaceSegments(keep);
    for (const seg of segs.slice(keep.length)) seg.markDeleted(0);
    const active = keep[keep.length - 1];
    active.reactivate();
    const removed = truncateSegmentTo(active, offset);
    log.setLogEndOffset(active.nextOffset);
    log.logger.info(`${log.dir}: truncated to offset ${active.nextOffset} (${removed} bytes removed from the active segment)`);
    return active.nextOffset;
  }
}

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';

/** The stored log start offset; undefined when the file is missing. Throws on a malformed file. */
export function readOffsetCheckpoint(file: string): bigint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const m = /^0\n(\d+)\n$/.exec(text);
  if (!m) throw new Error(`${file}: malformed checkpoint`);
  return BigInt(m[1]);
}

export function writeOffsetCheckpoint(file: string, offset: bigint, sync: SyncFn): Promise<void> {
  return writeFileAtomic(file, `0\n${offset}\n`, sync);
}
