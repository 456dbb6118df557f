// RecordBatch v2 header, read in place without decoding records. This is all the broker's produce and fetch
// paths look at: framing, base offset, CRC, counts, timestamps and producer fields.
//
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
//   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
// batchLength counts the bytes after the batchLength field; the CRC covers attributes to the end.
import { ProtocolError } from '../primitives/protocol-error';
import { crc32c } from './crc32c';

export const BATCH_OFFSETS = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;
/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** Bytes of baseOffset + batchLength, which batchLength does not count. */
export const LOG_OVERHEAD = 12;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Total size on the wire/disk of the batch starting at `offset` (batchLength + 12), without validating it. */
export function batchSizeAt(buf: Buffer, offset = 0): number {
  if (buf.length - offset < LOG_OVERHEAD) throw new ProtocolError('truncated', 'record batch shorter than its length prefix');
  return buf.readInt32BE(offset + BATCH_OFFSETS.batchLength) + LOG_OVERHEAD;
}

/** Reads the v2 header at `offset`. Checks only that the header itself is present and the magic is 2. */
export function readRecordBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  if (buf.length - offset < RECORD_BATCH_HEADER_SIZE) {
    throw new ProtocolError('truncated', `record batch header needs ${RECORD_BATCH_HEADER_SIZE} bytes, ${buf.length - offset} left`);
  }
  const magic = buf.readInt8(offset + BATCH_OFFSETS.magic);
  if (magic !== 2) throw new ProtocolError('malformed', `record batch magic ${magic} is not 2`);
  return {
    baseOffset: buf.readBigInt64BE(offset),
    batchLength: buf.readInt32BE(offset + BATCH_OFFSETS.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(offset + BATCH_OFFSETS.partitionLeaderEpoch),
    magic,
    crc: buf.readUInt32BE(offset + BATCH_OFFSETS.crc),
    attributes: buf.readInt16BE(offset + BATCH_OFFSETS.attributes),
    lastOffsetDelta: buf.readInt32BE(offset + BATCH_OFFSETS.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(offset + BATCH_OFFSETS.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(offset + BATCH_OFFSETS.maxTimestamp),
    producerId: buf.readBigInt64BE(offset + BATCH_OFFSETS.producerId),
    producerEpoch: buf.readInt16BE(offset + BATCH_OFFSETS.producerEpoch),
    baseSequence: buf.readInt32BE(offset + BATCH_OFFSETS.baseSequence),
    recordCount: buf.readInt32BE(offset + BATCH_OFFSETS.recordCount),
  };
}

/**
 * Validates the batch at `offset`: length prefix within `buf`, header present, magic 2, CRC matches.
 * Returns the batch's total size. Throws ProtocolError ('truncated' | 'malformed' | 'corrupt').
 */
export function validateRecordBatch(buf: Buffer, offset = 0): number {
  const size = batchSizeAt(buf, offset);
  if (size < RECORD_BATCH_HEADER_SIZE) throw new ProtocolError('malformed', `record batch length ${size - LOG_OVERHEAD} is below the header size`);
  if (size > buf.length - offset) throw new ProtocolError('truncated', `record batch of ${size} bytes, ${buf.length - offset} present`);
  const magic = buf.readInt8(offset + BATCH_OFFSETS.magic);
  if (magic !== 2) throw new ProtocolError('malformed', `record batch magic ${magic} is not 2`);
  const stored = buf.readUInt32BE(offset + BATCH_OFFSETS.crc);
  const actual = crc32c(buf, offset + BATCH_OFFSETS.attributes, offset + size);
  if (stored !== actual) throw new ProtocolError('corrupt', `record batch CRC ${stored} does not match computed ${actual}`);
  return size;
}

/** Rewrites the base offset of the batch at `offset` in place (the CRC does not cover it). */
export function stampBaseOffset(buf: Buffer, baseOffset: bigint, offset = 0): void {
  buf.writeBigInt64BE(baseOffset, offset);
}
