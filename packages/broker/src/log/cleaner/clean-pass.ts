// One cleaning pass over one partition (Kafka's Cleaner.doClean):
//   1. scan batch headers for transaction state (txn-scan.ts): aborted batches, the first unstable offset, each
//      producer's last batch;
//   2. the first uncleanable offset: the active segment's base, the first unstable offset, and the first dirty
//      segment holding records younger than min.compaction.lag.ms, whichever comes first;
//   3. map key -> latest offset over the dirty section [first dirty, first uncleanable), batch by batch, until the
//      map is full: the mapped end is where the next pass starts (the new cleaner checkpoint);
//   4. rewrite every segment from the log start below the mapped end, grouped so that each group fits in one
//      segment (segment.bytes, segment.index.bytes, 2^31 offsets), filtering each batch (batch-filter.ts), and
//      swap each group's cleaned segment in (cleaned-segment.ts). A single-segment group that no batch changes is
//      left alone (Kafka would copy it); a multi-segment group is always merged.
// Segments are read in chunks of whole batches through Segment.read, which holds off a concurrent close (retention
// or topic deletion), and the pass yields to the event loop after every chunk, so produce and fetch keep running.
import { BATCH_OFFSETS, LOG_OVERHEAD, ProtocolError, RECORD_BATCH_HEADER_SIZE, validateRecordBatch, ATTR_CONTROL, ATTR_TRANSACTIONAL } from '@tributary/protocol';
import { syncDirectory, type SyncFn } from '../file-io';
import type { PartitionLog } from '../partition-log';
import { segmentSettings, type Segment } from '../segment';
import { emptyFilterStats, filterBatch, recordsSection, type FilterContext, type FilterStats } from './batch-filter';
import { CleanedSegment } from './cleaned-segment';
import type { OffsetMap } from './offset-map';
import { RecordScan } from './record-scan';
import { SegmentGoneError, scanTransactions, type TxnScan } from './txn-scan';

export interface CleanPassOptions {
  firstDirty: bigint;
  map: OffsetMap;
  nowMs: number;
  syncFn: SyncFn;
  /** Throws to stop the pass (the cleaner is shutting down). Called between chunks. */
  checkStop: () => void;
  /** Rewrite the clean section even when nothing is dirty (expires tombstones; tests). */
  force?: boolean;
  /** Bytes per read. */
  chunkBytes?: number;
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

export class CleaningError extends Error {}

const CHUNK_BYTES = 256 * 1024;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Reads whole batches of seg from position (at least one whole batch when one is there), or an empty buffer. */
async function readBatches(seg: Segment, position: number, limit: number, chunkBytes: number): Promise<Buffer> {
  if (seg.isClosed) throw new SegmentGoneError(seg);
  let buf = await seg.read(position, Math.min(chunkBytes, limit - position));
  let whole = wholeBatches(buf);
  if (whole === 0 && buf.length >= LOG_OVERHEAD) {
    const size = buf.readInt32BE(BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
    if (position + size > limit) throw new CleaningError(`${seg.filePath('.log')}: batch at ${position} runs past the segment end`);
    if (seg.isClosed) throw new SegmentGoneError(seg);
    buf = await seg.read(position, size);
    whole = wholeBatches(buf);
  }
  if (whole === 0 && position < limit) throw new CleaningError(`${seg.filePath('.log')}: no whole batch at ${position}`);
  return buf.subarray(0, whole);
}

function wholeBatches(buf: Buffer): number {
  let p = 0;
  while (p + LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_SIZE || p + size > buf.length) break;
    p += size;
  }
  return p;
}

function checkBatch(seg: Segment, buf: Buffer, p: number, position: number): void {
  try {
    validateRecordBatch(buf, p);
  } catch (e) {
    if (e instanceof ProtocolError) throw new CleaningError(`${seg.filePath('.log')}: batch at ${position + p}: ${e.message}`);
    throw e;
  }
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

export async function cleanPass(log: PartitionLog, opts: CleanPassOptions): Promise<CleanPassResult> {
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const segments = log.segments;
  const config = log.config;
  const result: CleanPassResult = {
    ...emptyFilterStats(),
    endOffset: opts.firstDirty,
    firstUncleanableOffset: opts.firstDirty,
    mapFull: false,
    keysMapped: 0,
    bytesRead: 0,
    bytesWritten: 0,
    segmentsBefore: segments.length,
    segmentsAfter: segments.length,
    groupsRewritten: 0,
    swapsAbandoned: 0,
  };
  const txn = await scanTransactions(segments, opts.checkStop);
  const uncleanable = firstUncleanableOffset(segments, opts.firstDirty, opts.nowMs, config.minCompactionLagMs, txn.firstUnstableOffset);
  result.firstUncleanableOffset = uncleanable;
  const map = opts.map;
  map.clear(opts.firstDirty);
  let end = opts.firstDirty;
  if (opts.firstDirty < uncleanable) {
    const mapped = await buildOffsetMap(segments, opts.firstDirty, uncleanable, map, txn, chunkBytes, opts.checkStop, result);
    end = mapped.end;
    result.mapFull = mapped.full;
    result.keysMapped = map.size;
  }
  result.endOffset = end;
  if (end === opts.firstDirty && !opts.force) return result;

  const ctx: FilterContext = {
    map,
    mappedEnd: end,
    nowMs: BigInt(opts.nowMs),
    deleteRetentionMs: BigInt(Number.isFinite(config.deleteRetentionMs) ? config.deleteRetentionMs : 2 ** 53),
    aborted: txn.aborted,
    lastDataOffset: txn.lastDataOffset,
  };
  const toClean = segments.slice(0, -1).filter((s) => s.baseOffset < end);
  for (const group of groupSegments(toClean, config.segmentBytes, config.segmentIndexBytes)) {
    opts.checkStop();
    const swapped = await cleanGroup(log, group, ctx, opts, chunkBytes, result);
    if (swapped === 'abandoned') {
      // retention or a truncation changed the segments: start over next time from the same checkpoint
      result.swapsAbandoned++;
      result.endOffset = opts.firstDirty;
      break;
    }
  }
  result.segmentsAfter = log.segments.length;
  return result;
}

/** Maps the dirty section; returns where the mapping stopped (uncleanable, or the first batch that did not fit). */
async function buildOffsetMap(
  segments: readonly Segment[],
  firstDirty: bigint,
  uncleanable: bigint,
  map: OffsetMap,
  txn: TxnScan,
  chunkBytes: number,
  checkStop: () => void,
  result: CleanPassResult,
): Promise<{ end: bigint; full: boolean }> {
  const scan = new RecordScan();
  for (const seg of segments.slice(0, -1)) {
    if (seg.nextOffset <= firstDirty) continue;
    if (seg.baseOffset >= uncleanable) break;
    if (seg.isClosed) throw new SegmentGoneError(seg);
    const limit = seg.size;
    let position = seg.findBatch(firstDirty)?.position ?? 0;
    while (position < limit) {
      const buf = await readBatches(seg, position, limit, chunkBytes);
      result.bytesRead += buf.length;
      for (let p = 0; p < buf.length; ) {
        const size = buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
        checkBatch(seg, buf, p, position);
        const baseOffset = buf.readBigInt64BE(p);
        const lastOffset = baseOffset + BigInt(buf.readInt32BE(p + BATCH_OFFSETS.lastOffsetDelta));
        const attributes = buf.readInt16BE(p + BATCH_OFFSETS.attributes);
        const count = buf.readInt32BE(p + BATCH_OFFSETS.recordCount);
        if (baseOffset >= uncleanable) return { end: uncleanable, full: false };
        const skip = lastOffset < firstDirty || attributes & ATTR_CONTROL || (attributes & ATTR_TRANSACTIONAL && txn.aborted.has(baseOffset));
        if (!skip) {
          if (count > map.free) {
            if (map.size === 0) throw new CleaningError(`a batch of ${count} records does not fit the offset map (${map.maxEntries} entries): raise log.cleaner.dedupe.buffer.size`);
            return { end: baseOffset > firstDirty ? baseOffset : firstDirty, full: true };
          }
          const batch = buf.subarray(p, p + size);
          const section = recordsSection(batch);
          const plain = section instanceof Promise ? await section : section;
          scan.reset(plain, 0, plain.length, count);
          while (scan.next()) {
            const offset = baseOffset + BigInt(scan.offsetDelta);
            if (scan.keyLength >= 0 && offset >= firstDirty) map.put(plain, scan.keyStart, scan.keyLength, offset);
          }
        }
        p += size;
      }
      position += buf.length;
      await yieldToLoop();
      checkStop();
    }
  }
  return { end: uncleanable, full: false };
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

/** Cleans one group into a new segment and swaps it in. */
async function cleanGroup(
  log: PartitionLog,
  group: Segment[],
  ctx: FilterContext,
  opts: CleanPassOptions,
  chunkBytes: number,
  result: CleanPassResult,
): Promise<'unchanged' | 'swapped' | 'abandoned'> {
  let out: CleanedSegment | undefined;
  const open = (): CleanedSegment => CleanedSegment.create(log.dir, group[0].baseOffset, segmentSettings(log.config), log.clock());
  if (group.length > 1) out = open();
  try {
    for (const seg of group) {
      const limit = seg.size;
      let position = 0;
      while (position < limit) {
        const buf = await readBatches(seg, position, limit, chunkBytes);
        result.bytesRead += buf.length;
        for (let p = 0; p < buf.length; ) {
          const size = buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
          checkBatch(seg, buf, p, position);
          const batch = buf.subarray(p, p + size);
          const decided = filterBatch(batch, ctx, result);
          const outcome = decided instanceof Promise ? await decided : decided;
          if (outcome.kind !== 'keep' && !out) {
            // the first change in a single-segment group: copy the unchanged batches before it, then go on
            out = open();
            await copyPrefix(seg, position + p, out, chunkBytes);
          }
          if (out && outcome.kind === 'keep') await out.append(batch);
          else if (out && outcome.kind === 'rewrite') await out.append(outcome.bytes);
          p += size;
        }
        position += buf.length;
        await yieldToLoop();
        opts.checkStop();
      }
    }
    if (!out) return 'unchanged';
    await out.finish(opts.syncFn, group[group.length - 1]);
    opts.checkStop();
    // From here to the replaced list everything is synchronous: no append, read or retention interleaves.
    const segs = log.segments;
    const at = segs.indexOf(group[0]);
    const intact = at >= 0 && at + group.length < segs.length && group.every((s, k) => segs[at + k] === s);
    let available = true;
    try {
      log.checkAvailable();
    } catch {
      available = false;
    }
    if (!intact || !available) {
      out.discard();
      return 'abandoned';
    }
    const fresh = out.commit(group, log.config.fileDeleteDelayMs);
    log.replaceSegments([...segs.slice(0, at), fresh, ...segs.slice(at + group.length)]);
    result.bytesWritten += fresh.size;
    result.groupsRewritten++;
    out = undefined;
    await syncDirectory(log.dir, opts.syncFn);
    return 'swapped';
  } finally {
    out?.discard();
  }
}

/** Copies seg[0, end) into out unchanged (whole batches). */
async function copyPrefix(seg: Segment, end: number, out: CleanedSegment, chunkBytes: number): Promise<void> {
  for (let position = 0; position < end; ) {
    const buf = await readBatches(seg, position, end, chunkBytes);
    for (let p = 0; p < buf.length; ) {
      const size = buf.readInt32BE(p + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
      await out.append(buf.subarray(p, p + size));
      p += size;
    }
    position += buf.length;
  }
}
