// The produce-path checks and stamps, on the request's own bytes: every batch in the request is validated
// (framing, magic 2, CRC, size, header sanity, CreateTime bounds) BEFORE anything is written, then base offsets
// and the partition leader epoch are stamped in place (neither is covered by the CRC). Only LogAppendTime
// topics (or a client batch wrongly flagged LogAppendTime on a CreateTime topic) rewrite the header and
// recompute the CRC. Records are never decoded here, except on compacted topics, where every record must have a
// key (cleaner/keyless-records.ts walks the record framing).
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_OFFSETS,
  LOG_OVERHEAD,
  ProtocolError,
  crc32c,
  stampBaseOffset,
  validateRecordBatch,
} from '@tributary/protocol';
import { rejectKeylessRecords } from './cleaner/keyless-records';
import type { LogConfig } from './log-config';
import { LogError } from './log-errors';

export interface AppendOptions {
  /** -1 (all): wait for fdatasync when flushOnAckAll; 0 or 1: resolve once written. Default -1. */
  acks?: -1 | 0 | 1;
  /** Stamped into every batch's partitionLeaderEpoch. Default: the log's leaderEpoch. */
  leaderEpoch?: number;
  /** 'coordinator' may write control batches (transaction markers); clients may not. */
  origin?: 'client' | 'coordinator';
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped into the batches, or -1n for CreateTime topics. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  recordCount: number;
  /** A retry of a batch already in the log (idempotent producer): the original offsets, nothing was written. */
  duplicate?: boolean;
}

/** What the log needs to know about one batch of an append, read from its header. */
export interface AppendBatch {
  /** Position of the batch inside the append buffer. */
  position: number;
  size: number;
  lastOffsetDelta: number;
  recordCount: number;
  attributes: number;
  maxTimestamp: bigint;
  /** Assigned by assignOffsets. */
  baseOffset: bigint;
}

export interface ValidateOptions {
  /** Control batches (transaction markers) may only come from the coordinators. */
  allowControl: boolean;
  nowMs: number;
  /** `<topic>-<partition>`, for Kafka's keyless-record message on compacted topics. */
  topicPartition?: string;
}

/** Validates every batch of an append; throws LogError on the first bad one. */
export function validateBatches(records: Buffer, config: LogConfig, opts: ValidateOptions): AppendBatch[] {
  if (records.length === 0) throw new LogError('INVALID_RECORD', 'append contains no record batches');
  if (records.length > config.segmentBytes) {
    throw new LogError('RECORD_LIST_TOO_LARGE', `append of ${records.length} bytes exceeds segment.bytes ${config.segmentBytes}`);
  }
  const batches: AppendBatch[] = [];
  let p = 0;
  while (p < records.length) {
    let size: number;
    try {
      if (records.length - p < LOG_OVERHEAD) throw new ProtocolError('truncated', `${records.length - p} trailing bytes`);
      size = validateRecordBatch(records, p);
    } catch (e) {
      if (e instanceof ProtocolError) throw new LogError('CORRUPT_MESSAGE', `record batch at byte ${p}: ${e.message}`);
      throw e;
    }
    if (size > config.maxMessageBytes) {
      throw new LogError('MESSAGE_TOO_LARGE', `record batch of ${size} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
    }
    const lastOffsetDelta = records.readInt32BE(p + BATCH_OFFSETS.lastOffsetDelta);
    const recordCount = records.readInt32BE(p + BATCH_OFFSETS.recordCount);
    if (recordCount <= 0 || lastOffsetDelta !== recordCount - 1) {
      throw new LogError('INVALID_RECORD', `record batch with ${recordCount} records and last offset delta ${lastOffsetDelta}`);
    }
    const attributes = records.readInt16BE(p + BATCH_OFFSETS.attributes);
    if (attributes & ATTR_CONTROL && !opts.allowControl) {
      throw new LogError('INVALID_RECORD', 'clients may not write control batches');
    }
    // as Kafka's LogValidator: only client batches must carry sequences (markers have none)
    if (!opts.allowControl && records.readBigInt64BE(p + BATCH_OFFSETS.producerId) >= 0n && records.readInt32BE(p + BATCH_OFFSETS.baseSequence) < 0) {
      throw new LogError('INVALID_RECORD', 'idempotent record batch without a base sequence');
    }
    const maxTimestamp = records.readBigInt64BE(p + BATCH_OFFSETS.maxTimestamp);
    if (config.timestampType === 'CreateTime') checkTimestamps(records, p, maxTimestamp, config, opts.nowMs);
    batches.push({ position: p, size, lastOffsetDelta, recordCount, attributes, maxTimestamp, baseOffset: -1n });
    p += size;
  }
  if (config.compactEnabled) rejectKeylessRecords(records, batches, opts.topicPartition ?? '');
  return batches;
}

function checkTimestamps(records: Buffer, p: number, maxTimestamp: bigint, config: LogConfig, nowMs: number): void {
  const first = records.readBigInt64BE(p + BATCH_OFFSETS.baseTimestamp);
  // -1 is "no timestamp"; the first record's timestamp bounds the past, the batch maximum the future
  if (first >= 0n && nowMs - Number(first) > config.timestampBeforeMaxMs) {
    throw new LogError('INVALID_TIMESTAMP', `timestamp ${first} is more than ${config.timestampBeforeMaxMs} ms in the past`);
  }
  if (maxTimestamp >= 0n && Number(maxTimestamp) - nowMs > config.timestampAfterMaxMs) {
    throw new LogError('INVALID_TIMESTAMP', `timestamp ${maxTimestamp} is more than ${config.timestampAfterMaxMs} ms in the future`);
  }
}

/**
 * Stamps offsets from firstOffset (and the leader epoch) into each batch, and applies LogAppendTime.
 * Returns the last offset assigned.
 */
export function assignOffsets(
  records: Buffer,
  batches: AppendBatch[],
  firstOffset: bigint,
  leaderEpoch: number,
  logAppendTime: bigint | undefined,
): bigint {
  let next = firstOffset;
  for (const b of batches) {
    b.baseOffset = next;
    stampBaseOffset(records, next, b.position);
    records.writeInt32BE(leaderEpoch, b.position + BATCH_OFFSETS.partitionLeaderEpoch);
    const flagged = (b.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    if (logAppendTime !== undefined) {
      b.attributes |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
      b.maxTimestamp = logAppendTime;
      records.writeBigInt64BE(logAppendTime, b.position + BATCH_OFFSETS.maxTimestamp);
      records.writeInt16BE(b.attributes, b.position + BATCH_OFFSETS.attributes);
      rewriteCrc(records, b);
    } else if (flagged) {
      b.attributes &= ~ATTR_TIMESTAMP_TYPE_LOG_APPEND;
      records.writeInt16BE(b.attributes, b.position + BATCH_OFFSETS.attributes);
      rewriteCrc(records, b);
    }
    next += BigInt(b.lastOffsetDelta) + 1n;
  }
  return next - 1n;
}

function rewriteCrc(records: Buffer, b: AppendBatch): void {
  const crc = crc32c(records, b.position + BATCH_OFFSETS.attributes, b.position + b.size);
  records.writeUInt32BE(crc, b.position + BATCH_OFFSETS.crc);
}
