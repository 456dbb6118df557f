// The fetch path of a partition log: locate the batch holding the fetch offset (segment binary search, offset
// index, batch-header scan), then read whole batches in one go. The read is bounded by maxBytes, except that the
// first batch is always returned whole (KIP-74), and by maxOffset, the exclusive upper bound a fetch may see
// (the high watermark, or the last stable offset for read_committed); it never spans two segments (like
// Kafka): the next fetch continues in the next one. Clients skip records before their fetch offset.
import { wholeBatchesLength } from './file-io';
import { LogError } from './log-errors';
import type { Segment } from './segment';

export interface ReadOptions {
  /** Exclusive upper bound: the high watermark (default) or, for read_committed, the last stable offset. */
  maxOffset?: bigint;
  /** Return the first batch even if it is larger than maxBytes (KIP-74). Default true. */
  minOneBatch?: boolean;
}

export interface LogReadResult {
  /** Whole RecordBatch v2 batches, starting at the batch that contains the fetch offset; may be empty. */
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
}

const EMPTY = Buffer.alloc(0);

export async function readLog(
  segments: readonly Segment[],
  logStartOffset: bigint,
  highWatermark: bigint,
  fetchOffset: bigint,
  maxBytes: number,
  opts: ReadOptions,
): Promise<LogReadResult> {
  if (fetchOffset < logStartOffset || fetchOffset > highWatermark) {
    throw new LogError('OFFSET_OUT_OF_RANGE', `fetch offset ${fetchOffset} is outside [${logStartOffset}, ${highWatermark}]`);
  }
  const none: LogReadResult = { records: EMPTY, highWatermark, logStartOffset };
  const upper = opts.maxOffset !== undefined && opts.maxOffset < highWatermark ? opts.maxOffset : highWatermark;
  if (fetchOffset >= upper) return none;
  for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++) {
    const seg = segments[i];
    const first = seg.findBatch(fetchOffset);
    if (!first) continue; // past this segment's data: the next segment starts later
    if (first.baseOffset >= upper) return none;
    const end = upper >= seg.nextOffset ? seg.size : (seg.findBatch(upper)?.position ?? seg.size);
    const len = Math.min(end - first.position, Math.max(maxBytes, opts.minOneBatch === false ? 0 : first.size));
    if (len <= 0) return none;
    const buf = await seg.read(first.position, len);
    return { records: buf.subarray(0, wholeBatchesLength(buf)), highWatermark, logStartOffset };
  }
  return none;
}

/** Index of the last segment whose base offset is <= offset (0 if none). */
export function floorSegment(segments: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
