// Deciding the fate of one stored batch during cleaning, following Kafka's LogCleaner / MemoryRecords.filterTo:
//   - control batches (transaction markers) are kept as they are. Kafka may drop a marker once no data of its
//     transaction remains and delete.retention.ms has passed since its first clean; keeping markers is the simple,
//     always-correct choice (a few dozen bytes per transaction) and keeps the log the authority on aborts;
//   - a record is removed when it is superseded (its key maps to a later offset), when it has no key (Kafka
//     counts it as invalid), when its batch belongs to an aborted transaction, or when it is a tombstone whose
//     batch carries a delete horizon (KIP-534) that has passed. Records at or after the end of the mapped range
//     are only removed when aborted: the map knows nothing about them yet;
//   - a batch whose records all stay and that needs no delete horizon is copied byte for byte;
//   - a batch that still holds tombstones but no horizon gets one: now + delete.retention.ms, stored in
//     baseTimestamp with the delete-horizon attribute, record timestamp deltas rewritten against it;
//   - otherwise the batch is re-encoded with its original base offset, lastOffsetDelta (so the producer's last
//     sequence stays right), producer id/epoch/base sequence, leader epoch, attributes and compression codec;
//   - an emptied batch is dropped, unless it is its producer's last data batch: then it is kept as an empty batch
//     (record count 0, original last offset and max timestamp, no compression), as Kafka keeps it.
// Retained records are copied as their own bytes (only a new horizon rewrites their timestamp delta).
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_OFFSETS,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  compressionCodec,
  crc32c,
} from '@tributary/protocol';
import type { OffsetMap } from './offset-map';
import { RecordScan, sizeOfVarint, sizeOfVarlong, writeVarlong } from './record-scan';

export interface FilterContext {
  map: OffsetMap;
  /** Records at or after this offset were not mapped in this pass and are kept. */
  mappedEnd: bigint;
  nowMs: bigint;
  deleteRetentionMs: bigint;
  /** Base offsets of aborted transactional batches. */
  aborted: ReadonlySet<bigint>;
  /** Producer id -> last offset of its last data batch. */
  lastDataOffset: ReadonlyMap<bigint, bigint>;
  /** Run codecs synchronously (see recordsSection). */
  syncCodecs: boolean;
}

export interface FilterStats {
  recordsRead: number;
  recordsKept: number;
  tombstonesRemoved: number;
  abortedRemoved: number;
  keylessRemoved: number;
  batchesRewritten: number;
  emptyBatchesKept: number;
}

export const emptyFilterStats = (): FilterStats => ({
  recordsRead: 0,
  recordsKept: 0,
  tombstonesRemoved: 0,
  abortedRemoved: 0,
  keylessRemoved: 0,
  batchesRewritten: 0,
  emptyBatchesKept: 0,
});

export type FilterOutcome = { kind: 'keep' } | { kind: 'drop' } | { kind: 'rewrite'; bytes: Buffer };

const KEEP: FilterOutcome = { kind: 'keep' };
const DROP: FilterOutcome = { kind: 'drop' };

/**
 * The records section of a batch, decompressed when the batch is compressed: synchronously (`sync`, in the cleaner's
 * worker thread, which then stays on one core) or in the libuv pool (on the event loop, which must not block).
 */
export function recordsSection(batch: Buffer, sync: boolean): Buffer | Promise<Buffer> {
  const section = batch.subarray(RECORD_BATCH_HEADER_SIZE);
  const codec = compressionCodec(batch.readInt16BE(BATCH_OFFSETS.attributes) & ATTR_COMPRESSION_MASK);
  if (codec === null) return section;
  return sync ? codec.decompress(section) : codec.decompressAsync(section);
}

/** Filters one batch (a whole, CRC-valid batch as stored). Sync for uncompressed batches, a promise otherwise. */
export function filterBatch(batch: Buffer, ctx: FilterContext, stats: FilterStats): FilterOutcome | Promise<FilterOutcome> {
  const attributes = batch.readInt16BE(BATCH_OFFSETS.attributes);
  if (attributes & ATTR_CONTROL) return KEEP;
  const plain = recordsSection(batch, ctx.syncCodecs);
  return plain instanceof Promise ? plain.then((p) => decide(batch, attributes, p, ctx, stats)) : decide(batch, attributes, plain, ctx, stats);
}

const scan = new RecordScan();

function decide(batch: Buffer, attributes: number, plain: Buffer, ctx: FilterContext, stats: FilterStats): FilterOutcome | Promise<FilterOutcome> {
  const baseOffset = batch.readBigInt64BE(BATCH_OFFSETS.baseOffset);
  const count = batch.readInt32BE(BATCH_OFFSETS.recordCount);
  const hasHorizon = (attributes & ATTR_DELETE_HORIZON) !== 0;
  const baseTimestamp = batch.readBigInt64BE(BATCH_OFFSETS.baseTimestamp);
  const horizonPassed = hasHorizon && ctx.nowMs >= baseTimestamp;
  const aborted = (attributes & ATTR_TRANSACTIONAL) !== 0 && ctx.aborted.has(baseOffset);
  const mappedEndDelta = ctx.mappedEnd - baseOffset;
  const kept: number[] = []; // [start, stop, afterTimestamp, bodyStart, timestampDelta] per kept record
  let removed = 0;
  let keptTombstone = false;
  scan.reset(plain, 0, plain.length, count);
  while (scan.next()) {
    stats.recordsRead++;
    let keep: boolean;
    if (BigInt(scan.offsetDelta) >= mappedEndDelta) keep = !aborted;
    else if (aborted) keep = false;
    else if (scan.keyLength < 0) {
      keep = false;
      stats.keylessRemoved++;
    } else if (baseOffset + BigInt(scan.offsetDelta) < ctx.map.get(plain, scan.keyStart, scan.keyLength)) keep = false;
    else if (scan.valueLength < 0 && horizonPassed) {
      keep = false;
      stats.tombstonesRemoved++;
    } else keep = true;
    if (aborted) stats.abortedRemoved++;
    if (!keep) {
      removed++;
      continue;
    }
    if (scan.valueLength < 0) keptTombstone = true;
    kept.push(scan.start, scan.stop, scan.afterTimestamp, scan.bodyStart, scan.timestampDelta);
  }
  stats.recordsKept += kept.length / 5;
  const needsHorizon = keptTombstone && !hasHorizon;
  if (removed === 0 && !needsHorizon) return KEEP;
  if (kept.length === 0) {
    const producerId = batch.readBigInt64BE(BATCH_OFFSETS.producerId);
    const lastOffset = baseOffset + BigInt(batch.readInt32BE(BATCH_OFFSETS.lastOffsetDelta));
    if (producerId >= 0n && ctx.lastDataOffset.get(producerId) === lastOffset) {
      stats.emptyBatchesKept++;
      return { kind: 'rewrite', bytes: emptyBatch(batch, attributes) };
    }
    return DROP;
  }
  stats.batchesRewritten++;
  const horizon = needsHorizon ? ctx.nowMs + ctx.deleteRetentionMs : undefined;
  return rebuild(batch, attributes, plain, kept, horizon, ctx.syncCodecs);
}

/** Re-encodes a batch with only the kept records (and a new delete horizon when given). */
function rebuild(
  batch: Buffer,
  attributes: number,
  plain: Buffer,
  kept: number[],
  horizon: bigint | undefined,
  syncCodecs: boolean,
): FilterOutcome | Promise<FilterOutcome> {
  const oldBase = batch.readBigInt64BE(BATCH_OFFSETS.baseTimestamp);
  const shift = horizon === undefined ? 0 : Number(oldBase - horizon);
  let size = 0;
  let maxDelta = -Infinity;
  for (let i = 0; i < kept.length; i += 5) {
    const delta = kept[i + 4];
    if (delta > maxDelta) maxDelta = delta;
    if (shift === 0) size += kept[i + 1] - kept[i];
    else {
      const body = 1 + sizeOfVarlong(delta + shift) + (kept[i + 1] - kept[i + 2]);
      size += sizeOfVarint(body) + body;
    }
  }
  const section = Buffer.allocUnsafe(size);
  let p = 0;
  for (let i = 0; i < kept.length; i += 5) {
    const [start, stop, afterTs, bodyStart, delta] = [kept[i], kept[i + 1], kept[i + 2], kept[i + 3], kept[i + 4]];
    if (shift === 0) {
      p += plain.copy(section, p, start, stop);
      continue;
    }
    const body = 1 + sizeOfVarlong(delta + shift) + (stop - afterTs);
    p = writeVarlong(section, p, body); // a varint is a varlong of a small value
    section[p++] = plain[bodyStart];
    p = writeVarlong(section, p, delta + shift);
    p += plain.copy(section, p, afterTs, stop);
  }
  const logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const maxTimestamp = logAppendTime ? batch.readBigInt64BE(BATCH_OFFSETS.maxTimestamp) : oldBase + BigInt(maxDelta);
  const newAttributes = horizon === undefined ? attributes : attributes | ATTR_DELETE_HORIZON;
  const finish = (records: Buffer): FilterOutcome => ({
    kind: 'rewrite',
    bytes: header(batch, newAttributes, horizon ?? oldBase, maxTimestamp, kept.length / 5, records),
  });
  const codec = compressionCodec(attributes & ATTR_COMPRESSION_MASK);
  if (codec === null) return finish(section);
  return syncCodecs ? finish(codec.compress(section)) : codec.compressAsync(section).then(finish);
}

/** A batch with the original header fields except those given, followed by `records`, with its CRC. */
function header(batch: Buffer, attributes: number, baseTimestamp: bigint, maxTimestamp: bigint, count: number, records: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + records.length);
  batch.copy(out, 0, 0, RECORD_BATCH_HEADER_SIZE);
  records.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_OFFSETS.batchLength);
  out.writeInt16BE(attributes, BATCH_OFFSETS.attributes);
  out.writeBigInt64BE(baseTimestamp, BATCH_OFFSETS.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BATCH_OFFSETS.maxTimestamp);
  out.writeInt32BE(count, BATCH_OFFSETS.recordCount);
  out.writeUInt32BE(crc32c(out, BATCH_OFFSETS.attributes, out.length), BATCH_OFFSETS.crc);
  return out;
}

/** Kafka's empty batch: no records, no compression or horizon, base and max timestamp = the original max. */
function emptyBatch(batch: Buffer, attributes: number): Buffer {
  const max = batch.readBigInt64BE(BATCH_OFFSETS.maxTimestamp);
  return header(batch, attributes & ~(ATTR_COMPRESSION_MASK | ATTR_DELETE_HORIZON), max, max, 0, Buffer.alloc(0));
}
