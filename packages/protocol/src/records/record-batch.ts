// RecordBatch v2 (magic 2) encoding and decoding, with the records inside and their compression.
// The header layout and in-place validation live in batch-header.ts; this file adds the records. Decoding checks
// the CRC (unless told not to), the framing, the declared record count against the bytes present (before any
// decompression or allocation) and that the records fill the batch exactly.
import { compressionCodec } from '../compression/compression';
import { maxOutput, type DecompressOptions } from '../compression/codec';
import { ProtocolError } from '../primitives/protocol-error';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_OFFSETS,
  CompressionType,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  readRecordBatchHeader,
  validateRecordBatch,
  type RecordBatchHeader,
} from './batch-header';
import { readControlRecord, type ControlRecord } from './control-record';
import { crc32c } from './crc32c';
import { MIN_RECORD_SIZE, RecordCursor, readRecords, sizeOfRecord, sizeRecord, writeRecord, type KafkaRecord, type RecordInput } from './record';

export enum TimestampType {
  /** Magic 0 messages carry no timestamp. */
  NoTimestamp = -1,
  CreateTime = 0,
  LogAppendTime = 1,
}

export interface RecordBatchInput {
  baseOffset?: bigint;
  /** Default -1 (a producer does not know it; the leader stamps it). */
  partitionLeaderEpoch?: number;
  /** Raw attributes; the flags below are OR-ed into them. */
  attributes?: number;
  compression?: CompressionType;
  timestampType?: TimestampType.CreateTime | TimestampType.LogAppendTime;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Default -1n / -1 / -1: not idempotent. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Default: the first record's timestamp (as Kafka's producer does), -1 for an empty batch. */
  baseTimestamp?: bigint;
  /** Default: the largest record timestamp, -1 for an empty batch. For LogAppendTime, the append time. */
  maxTimestamp?: bigint;
  /** Default: the last record's offsetDelta, 0 for an empty batch (compaction keeps the original of an emptied one). */
  lastOffsetDelta?: number;
  /** Sets the delete-horizon attribute (KIP-534); baseTimestamp is then the horizon. */
  deleteHorizonMs?: bigint;
  /** Passed to the codec (gzip or zstd level). */
  compressionLevel?: number;
  records: readonly RecordInput[];
}

export interface DecodedRecordBatch extends RecordBatchHeader {
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  /** baseOffset + lastOffsetDelta. */
  lastOffset: bigint;
  records: KafkaRecord[];
  /** For control batches, the decoded marker of each record (same order as `records`). */
  controlRecords?: ControlRecord[];
  /** Bytes the batch occupies on the wire. */
  sizeInBytes: number;
}

export interface DecodeRecordBatchOptions extends DecompressOptions {
  /** Check the CRC32C (default true). */
  verifyCrc?: boolean;
}

// ---------------------------------------------------------------- encoding

function attributesOf(input: RecordBatchInput): number {
  let a = input.attributes ?? 0;
  if (input.compression !== undefined) a = (a & ~ATTR_COMPRESSION_MASK) | input.compression;
  if (input.timestampType === TimestampType.LogAppendTime) a |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  if (input.isTransactional) a |= ATTR_TRANSACTIONAL;
  if (input.isControl) a |= ATTR_CONTROL;
  if (input.deleteHorizonMs !== undefined) a |= ATTR_DELETE_HORIZON;
  return a;
}

/** Encodes one RecordBatch v2: header, CRC32C, records (compressed as the attributes say). */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const records = input.records;
  const attributes = attributesOf(input);
  const compression = attributes & ATTR_COMPRESSION_MASK;
  const codec = compressionCodec(compression);
  const first = records.length > 0 ? records[0].timestamp : -1n;
  const baseTimestamp = input.deleteHorizonMs ?? input.baseTimestamp ?? first;
  let maxTimestamp = -1n;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  if (input.maxTimestamp !== undefined) maxTimestamp = input.maxTimestamp;

  const sized = records.map((r, i) => sizeRecord(r, i, baseTimestamp));
  let recordsSize = 0;
  for (const s of sized) recordsSize += sizeOfRecord(s);

  let buf: Buffer;
  if (codec === null) {
    buf = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + recordsSize);
    let pos = RECORD_BATCH_HEADER_SIZE;
    for (const s of sized) pos = writeRecord(buf, pos, s);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    let pos = 0;
    for (const s of sized) pos = writeRecord(plain, pos, s);
    const packed = codec.compress(plain, { level: input.compressionLevel });
    buf = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + packed.length);
    packed.copy(buf, RECORD_BATCH_HEADER_SIZE);
  }

  const last = sized.length > 0 ? sized[sized.length - 1].offsetDelta : 0;
  buf.writeBigInt64BE(input.baseOffset ?? 0n, BATCH_OFFSETS.baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_OFFSETS.batchLength);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? -1, BATCH_OFFSETS.partitionLeaderEpoch);
  buf.writeInt8(2, BATCH_OFFSETS.magic);
  buf.writeInt16BE(attributes, BATCH_OFFSETS.attributes);
  buf.writeInt32BE(input.lastOffsetDelta ?? last, BATCH_OFFSETS.lastOffsetDelta);
  buf.writeBigInt64BE(baseTimestamp, BATCH_OFFSETS.baseTimestamp);
  buf.writeBigInt64BE(maxTimestamp, BATCH_OFFSETS.maxTimestamp);
  buf.writeBigInt64BE(input.producerId ?? -1n, BATCH_OFFSETS.producerId);
  buf.writeInt16BE(input.producerEpoch ?? -1, BATCH_OFFSETS.producerEpoch);
  buf.writeInt32BE(input.baseSequence ?? -1, BATCH_OFFSETS.baseSequence);
  buf.writeInt32BE(records.length, BATCH_OFFSETS.recordCount);
  buf.writeUInt32BE(crc32c(buf, BATCH_OFFSETS.attributes, buf.length), BATCH_OFFSETS.crc);
  return buf;
}

// ---------------------------------------------------------------- decoding

interface PendingBatch {
  header: RecordBatchHeader;
  size: number;
  /** The records section as stored (compressed or not) and its codec, null for none. */
  section: Buffer;
  codec: ReturnType<typeof compressionCodec>;
}

/** Framing, CRC and header checks, up to (not including) decompression and the records. */
function openBatch(buf: Buffer, options: DecodeRecordBatchOptions | undefined, offset: number): PendingBatch {
  let size: number;
  if (options?.verifyCrc === false) {
    const h = readRecordBatchHeader(buf, offset);
    size = h.batchLength + LOG_OVERHEAD;
    if (size < RECORD_BATCH_HEADER_SIZE) throw new ProtocolError('malformed', `record batch length ${h.batchLength} is below the header size`);
    if (size > buf.length - offset) throw new ProtocolError('truncated', `record batch of ${size} bytes, ${buf.length - offset} present`);
  } else {
    size = validateRecordBatch(buf, offset);
  }
  const header = readRecordBatchHeader(buf, offset);
  const count = header.recordCount;
  if (count < 0) throw new ProtocolError('malformed', `record count ${count}`);
  const codec = compressionCodec(header.attributes & ATTR_COMPRESSION_MASK);
  if (codec !== null) {
    // Every record takes at least MIN_RECORD_SIZE bytes once decompressed: refuse a count no limit could satisfy.
    const limit = maxOutput(options);
    if (count > limit / MIN_RECORD_SIZE) {
      throw new ProtocolError('invalid-length', `${count} records exceed the decompression limit of ${limit} bytes`);
    }
  }
  return { header, size, section: buf.subarray(offset + RECORD_BATCH_HEADER_SIZE, offset + size), codec };
}

/** Reads the records from the (decompressed) records section and assembles the result. */
function finishBatch({ header, size }: PendingBatch, plain: Buffer): DecodedRecordBatch {
  const attributes = header.attributes;
  const timestampType = attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  const isControl = (attributes & ATTR_CONTROL) !== 0;
  const fixedTimestamp = timestampType === TimestampType.LogAppendTime ? header.maxTimestamp : null;
  const cursor = new RecordCursor(plain, 0, plain.length);
  const records = readRecords(cursor, header.recordCount, header.baseOffset, header.baseTimestamp, fixedTimestamp);
  const batch: DecodedRecordBatch = {
    ...header,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    records,
    sizeInBytes: size,
  };
  if (isControl) batch.controlRecords = records.map(readControlRecord);
  return batch;
}

/** Decodes the v2 batch at `offset` (bytes after it are ignored; see `sizeInBytes`). */
export function decodeRecordBatch(buf: Buffer, options?: DecodeRecordBatchOptions, offset = 0): DecodedRecordBatch {
  const pending = openBatch(buf, options, offset);
  return finishBatch(pending, pending.codec === null ? pending.section : pending.codec.decompress(pending.section, options));
}

/** As decodeRecordBatch, with decompression off the main thread (the native codecs' async calls). */
export async function decodeRecordBatchAsync(buf: Buffer, options?: DecodeRecordBatchOptions, offset = 0): Promise<DecodedRecordBatch> {
  const pending = openBatch(buf, options, offset);
  return finishBatch(pending, pending.codec === null ? pending.section : await pending.codec.decompressAsync(pending.section, options));
}
