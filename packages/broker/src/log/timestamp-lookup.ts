// Timestamp lookups for ListOffsets: by timestamp (earliest record with timestamp >= T) and max timestamp
// (KIP-734). Within a segment: time index -> offset index -> batch-header scan to the first batch whose max
// timestamp reaches T; then, for that ONE batch only, a record-level search (the only place the log layer looks
// inside a batch; compressed batches are decompressed with the protocol package's codecs). Only each record's
// length, timestamp delta and offset delta are read.
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND, BATCH_OFFSETS, RECORD_BATCH_HEADER_SIZE, decompress } from '@tributary/protocol';
import { lookupScanner } from './batch-scanner';
import type { Segment } from './segment';

export interface RecordHit {
  offset: bigint;
  timestamp: bigint;
}

function varint(buf: Buffer, pos: { p: number }): number {
  let shift = 0;
  let result = 0;
  for (;;) {
    const b = buf[pos.p++];
    if (b === undefined) throw new RangeError('truncated varint');
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 63) throw new RangeError('varint too long');
  }
  // zigzag decode on a number (record deltas fit comfortably in 2^53)
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/**
 * First record of the batch (whole batch bytes) with timestamp >= target and offset >= minOffset. With
 * target = the batch's max timestamp it finds the record that carries the maximum.
 */
export function findRecordByTimestamp(batch: Buffer, target: bigint, minOffset: bigint): RecordHit | undefined {
  const baseOffset = batch.readBigInt64BE(0);
  const attributes = batch.readInt16BE(BATCH_OFFSETS.attributes);
  const maxTimestamp = batch.readBigInt64BE(BATCH_OFFSETS.maxTimestamp);
  const lastOffset = baseOffset + BigInt(batch.readInt32BE(BATCH_OFFSETS.lastOffsetDelta));
  if (maxTimestamp < target || lastOffset < minOffset) return undefined;
  // LogAppendTime: every record carries the batch's append time. An undecodable batch (it passed its CRC, so
  // only an unknown codec) answers conservatively with its first offset: clients skip earlier records anyway.
  const batchHit = { offset: baseOffset > minOffset ? baseOffset : minOffset, timestamp: maxTimestamp };
  if (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) return batchHit;
  let records: Buffer;
  try {
    records = decompress(attributes & ATTR_COMPRESSION_MASK, batch.subarray(RECORD_BATCH_HEADER_SIZE));
  } catch {
    return batchHit;
  }
  const baseTimestamp = batch.readBigInt64BE(BATCH_OFFSETS.baseTimestamp);
  const count = batch.readInt32BE(BATCH_OFFSETS.recordCount);
  const pos = { p: 0 };
  for (let i = 0; i < count && pos.p < records.length; i++) {
    const length = varint(records, pos);
    const next = pos.p + length;
    pos.p += 1; // attributes
    const timestamp = baseTimestamp + BigInt(varint(records, pos));
    const offset = baseOffset + BigInt(varint(records, pos));
    if (timestamp >= target && offset >= minOffset) return { offset, timestamp };
    pos.p = next;
  }
  return undefined;
}

/** Earliest record of the segment with timestamp >= target and offset >= minOffset. */
export function findOffsetByTimestamp(seg: Segment, target: bigint, minOffset: bigint): RecordHit | undefined {
  if (seg.maxTimestamp < target) return undefined;
  const fromRel = Math.max(seg.timeIndex.lookupBefore(target), minOffset > seg.baseOffset ? Number(minOffset - seg.baseOffset) : 0);
  const scanner = lookupScanner.reset(seg.fd, seg.size);
  for (let pos = seg.scanStart(fromRel); ; ) {
    const h = scanner.header(pos);
    if (!h) return undefined;
    if (h.maxTimestamp >= target && h.baseOffset + BigInt(h.lastOffsetDelta) >= minOffset) {
      const hit = findRecordByTimestamp(scanner.bytes(pos, h.size)!, target, minOffset);
      if (hit) return hit;
    }
    pos += h.size;
  }
}

/** The record carrying the segment's largest timestamp (the first one on ties), or undefined. */
export function findMaxTimestampRecord(seg: Segment): RecordHit | undefined {
  if (seg.maxTimestamp < 0n) return undefined;
  const h = seg.findBatch(seg.offsetOfMaxTimestamp);
  if (!h) return undefined;
  const bytes = lookupScanner.bytes(h.position, h.size)!;
  return findRecordByTimestamp(bytes, seg.maxTimestamp, h.baseOffset) ?? { offset: h.baseOffset, timestamp: seg.maxTimestamp };
}

/** Earliest record of the log (at or after logStartOffset) with timestamp >= target. */
export function logOffsetForTimestamp(segments: readonly Segment[], logStartOffset: bigint, target: bigint): RecordHit | undefined {
  for (const seg of segments) {
    if (seg.nextOffset <= logStartOffset) continue;
    const hit = findOffsetByTimestamp(seg, target, logStartOffset);
    if (hit) return hit;
  }
  return undefined;
}

/** The record with the log's largest timestamp (the earliest on ties), or undefined when there is none. */
export function logOffsetOfMaxTimestamp(segments: readonly Segment[]): RecordHit | undefined {
  let best: Segment | undefined;
  for (const seg of segments) if (seg.maxTimestamp >= 0n && (!best || seg.maxTimestamp > best.maxTimestamp)) best = seg;
  return best && findMaxTimestampRecord(best);
}
