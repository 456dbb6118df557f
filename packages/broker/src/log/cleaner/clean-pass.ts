// One cleaning pass over one partition (Kafka's Cleaner.doClean), orchestrated on the main thread; the data work
// runs in an Engine (clean-engine.ts), in the cleaner's worker thread or on the event loop (engine-host.ts):
//   1. descriptors for every segment are opened at once, while all are in the log's list (segment-reader.ts);
//   2. the engine scans batch headers for transaction state (txn-scan.ts): aborted batches, the first unstable
//      offset, each producer's last batch;
//   3. the first uncleanable offset: the active segment's base, the first unstable offset, and the first dirty
//      segment holding records younger than min.compaction.lag.ms, whichever comes first;
//   4. the engine maps key -> latest offset over the dirty section [first dirty, first uncleanable) until the map
//      is full: the mapped end is where the next pass starts (the new cleaner checkpoint);
//   5. every segment from the log start below the mapped end is rewritten, in groups that fit one segment
//      (segment.bytes, segment.index.bytes, 2^31 offsets): the engine filters each group into `<base>.log.cleaned`
//      (batch-filter.ts), the main thread builds its indexes, fsyncs and swaps it in (cleaned-segment.ts). A
//      single-segment group that no batch changes is left alone (Kafka would copy it); several are always merged.
import { syncDirectory, type SyncFn } from '../file-io';
import type { PartitionLog } from '../partition-log';
import { segmentSettings, type Segment } from '../segment';
import { emptyFilterStats, type FilterStats } from './batch-filter';
import { CleanedSegment } from './cleaned-segment';
import type { Engine } from './engine-host';
import { closeSourceFiles, openSegmentFile, type SourceFile } from './segment-reader';

export interface CleanPassOptions {
  firstDirty: bigint;
  nowMs: number;
  syncFn: SyncFn;
  /** Throws to stop the pass (the cleaner is shutting down). */
  checkStop: () => void;
  /** Rewrite the clean section even when nothing is dirty (expires tombstones; tests). */
  force?: boolean;
}

export interface CleanPassResult extends FilterStats {
  /** Where the next pass starts (the new checkpoint). */
  endOffset: bigint;
  firstUncleanableOffset: bigint;
  /** The map filled before the dirty section ended. */
  mapFull: boolean;
  keysMapped: number;
  bytesRead: number;
  bytesWritten: number;
  segmentsBefore: number;
  segmentsAfter: number;
  groupsRewritten: number;
  /** Swaps skipped because retention or truncation changed the segments meanwhile. */
  swapsAbandoned: number;
}

/** The first offset the pass may not clean (see the file comment). */
export function firstUncleanableOffset(segments: readonly Segment[], firstDirty: bigint, nowMs: number, minLagMs: number, firstUnstable?: bigint): bigint {
  const active = segments[segments.length - 1];
  let u = active.baseOffset;
  if (firstUnstable !== undefined && firstUnstable < u) u = firstUnstable;
  if (minLagMs > 0) {
    for (const seg of segments.slice(0, -1)) {
      if (seg.nextOffset <= firstDirty || seg.isEmpty) continue;
      if (seg.retentionTimestampMs() > nowMs - minLagMs) {
        if (seg.baseOffset < u) u = seg.baseOffset;
        break;
      }
    }
  }
  return u;
}

/** Kafka's groupSegmentsBySize: consecutive segments whose sizes, index sizes and offset span fit one segment. */
export function groupSegments(segments: readonly Segment[], maxBytes: number, maxIndexBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let bytes = segments[i].size;
    let indexBytes = segments[i].timeIndex.entries * 12;
    i++;
    while (i < segments.length) {
      const next = segments[i];
      const span = next.nextOffset - 1n - group[0].baseOffset;
      if (bytes + next.size > maxBytes || indexBytes + next.timeIndex.entries * 12 > maxIndexBytes || span > 2147483647n) break;
      bytes += next.size;
      indexBytes += next.timeIndex.entries * 12;
      group.push(next);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

export async function cleanPass(log: PartitionLog, engine: Engine, opts: CleanPassOptions): Promise<CleanPassResult> {
  const segments = log.segments;
  const config = log.config;
  const { firstDirty } = opts;
  const result: CleanPassResult = {
    ...emptyFilterStats(),
    endOffset: firstDirty,
    firstUncleanableOffset: firstDirty,
    mapFull: false,
    keysMapped: 0,
    bytesRead: 0,
    bytesWritten: 0,
    segmentsBefore: segments.length,
    segmentsAfter: segments.length,
    groupsRewritten: 0,
    swapsAbandoned: 0,
  };
  // synchronously, while every segment is in the list: descriptors, and where mapping starts in its first segment
  const files: SourceFile[] = [];
  let mapStart = 0;
  try {
    for (const seg of segments) files.push(openSegmentFile(seg.filePath('.log'), seg.size, () => log.segments.includes(seg)));
    const firstDirtySegment = segments.slice(0, -1).find((s) => s.nextOffset > firstDirty);
    if (firstDirtySegment && firstDirtySegment.baseOffset < firstDirty) mapStart = firstDirtySegment.findBatch(firstDirty)?.position ?? 0;
  } catch (e) {
    closeSourceFiles(files);
    throw e;
  }
  const fileOf = (seg: Segment): SourceFile => files[segments.indexOf(seg)];
  try {
    const scan = await engine.scanTransactions(files);
    const uncleanable = firstUncleanableOffset(segments, firstDirty, opts.nowMs, config.minCompactionLagMs, scan.firstUnstableOffset);
    result.firstUncleanableOffset = uncleanable;
    let end = firstDirty;
    if (firstDirty < uncleanable) {
      const dirty = segments.slice(0, -1).filter((s) => s.nextOffset > firstDirty && s.baseOffset < uncleanable);
      const mapped = await engine.buildMap({
        files: dirty.map(fileOf),
        starts: dirty.map((s, i) => (i === 0 ? mapStart : 0)),
        firstDirty,
        uncleanable,
      });
      end = mapped.end;
      result.mapFull = mapped.full;
      result.keysMapped = mapped.keysMapped;
      result.bytesRead += mapped.bytesRead;
    }
    result.endOffset = end;
    if (end === firstDirty && !opts.force) return result;

    const deleteRetentionMs = BigInt(Number.isFinite(config.deleteRetentionMs) ? config.deleteRetentionMs : 2 ** 53);
    const toClean = segments.slice(0, -1).filter((s) => s.baseOffset < end);
    for (const group of groupSegments(toClean, config.segmentBytes, config.segmentIndexBytes)) {
      opts.checkStop();
      const cleaned = CleanedSegment.create(log.dir, group[0].baseOffset, segmentSettings(config), log.clock());
      try {
        const r = await engine.filter({
          sources: group.map(fileOf),
          outFd: cleaned.fd,
          mappedEnd: end,
          nowMs: BigInt(opts.nowMs),
          deleteRetentionMs,
          merge: group.length > 1,
        });
        for (const k of Object.keys(emptyFilterStats()) as (keyof FilterStats)[]) result[k] += r[k];
        result.bytesRead += r.bytesRead;
        if (!r.changed) continue;
        cleaned.track(r.batches);
        await cleaned.finish(opts.syncFn, group[group.length - 1]);
        opts.checkStop();
        if (!swapIn(log, group, cleaned)) {
          // retention or a truncation changed the segments: start over next time from the same checkpoint
          result.swapsAbandoned++;
          result.endOffset = firstDirty;
          break;
        }
        result.bytesWritten += r.bytesWritten;
        result.groupsRewritten++;
        await syncDirectory(log.dir, opts.syncFn);
      } finally {
        cleaned.discard(); // a no-op once committed
      }
    }
    result.segmentsAfter = log.segments.length;
    return result;
  } finally {
    closeSourceFiles(files);
  }
}

/**
 * The swap, synchronous from the check to the new list, so no append, read or retention interleaves: false when
 * the group is no longer in the log as it was (then nothing changed).
 */
function swapIn(log: PartitionLog, group: readonly Segment[], cleaned: CleanedSegment): boolean {
  const segs = log.segments;
  const at = segs.indexOf(group[0]);
  const intact = at >= 0 && at + group.length < segs.length && group.every((s, k) => segs[at + k] === s);
  try {
    log.checkAvailable();
  } catch {
    return false;
  }
  if (!intact) return false;
  const fresh = cleaned.commit(group, log.config.fileDeleteDelayMs);
  log.replaceSegments([...segs.slice(0, at), fresh, ...segs.slice(at + group.length)]);
  return true;
}
