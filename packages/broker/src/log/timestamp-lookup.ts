// Record-level timestamp search inside ONE batch, for ListOffsets by timestamp and max-timestamp (KIP-734).
// This is the only place the log layer looks inside a batch, and only for the single batch a lookup lands in;
// compressed batches are decompressed with the protocol package's codecs. Only the record length, timestamp
// delta and offset delta of each record are read.
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND, BATCH_OFFSETS, RECORD_BATCH_HEADER_SIZE, decompress } from '@tributary/protocol';

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
