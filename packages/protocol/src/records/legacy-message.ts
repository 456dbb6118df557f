// Legacy MessageSet entries, magic 0 (Kafka 0.8) and magic 1 (0.10, KIP-32 timestamps):
//   offset int64 | messageSize int32 | crc uint32 | magic int8 | attributes int8 | [timestamp int64, magic 1] |
//   key bytes (int32 length, -1 null) | value bytes
// The CRC is CRC-32/IEEE over magic..value. Compressed sets are one wrapper message whose value is the compressed
// inner MessageSet (attributes bits 0-2 the codec). Inner offsets are absolute in magic 0 and relative in magic 1,
// where the wrapper carries the offset of the last inner message (KIP-31). Each entry decodes into the same shape as
// a v2 batch, as Kafka's Java client presents legacy entries: producer fields -1, no headers.
import { maxOutput } from '../compression/codec';
import { compressionCodec } from '../compression/compression';
import { ProtocolError } from '../primitives/protocol-error';
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND, CompressionType, LOG_OVERHEAD } from './batch-header';
import { crc32 } from './crc32';
import type { KafkaRecord } from './record';
import { TimestampType, type DecodedRecordBatch, type DecodeRecordBatchOptions } from './record-batch';

/** crc + magic + attributes + key length + value length (magic 0); magic 1 adds an int64 timestamp. */
export const LEGACY_MESSAGE_MIN_SIZE = [14, 22] as const;

interface LegacyMessage {
  offset: bigint;
  crc: number;
  magic: number;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  size: number;
}

function nullableBytes(buf: Buffer, pos: number, end: number, what: string): [Buffer | null, number] {
  if (end - pos < 4) throw new ProtocolError('truncated', `truncated legacy message ${what} length`);
  const n = buf.readInt32BE(pos);
  pos += 4;
  if (n === -1) return [null, pos];
  if (n < 0) throw new ProtocolError('malformed', `legacy message ${what} length ${n}`);
  if (n > end - pos) throw new ProtocolError('truncated', `legacy message ${what} of ${n} bytes, ${end - pos} present`);
  return [buf.subarray(pos, pos + n), pos + n];
}

/** Reads one entry at `offset`; the caller has checked that its declared size is present. */
function readMessage(buf: Buffer, offset: number, verifyCrc: boolean): LegacyMessage {
  const messageSize = buf.readInt32BE(offset + 8);
  const start = offset + LOG_OVERHEAD;
  const end = start + messageSize;
  const magic = buf.readInt8(start + 4);
  if (magic !== 0 && magic !== 1) throw new ProtocolError('malformed', `legacy message magic ${magic}`);
  if (messageSize < LEGACY_MESSAGE_MIN_SIZE[magic]) {
    throw new ProtocolError('malformed', `legacy message of ${messageSize} bytes is below the minimum ${LEGACY_MESSAGE_MIN_SIZE[magic]}`);
  }
  const crc = buf.readUInt32BE(start);
  if (verifyCrc) {
    const actual = crc32(buf, start + 4, end);
    if (actual !== crc) throw new ProtocolError('corrupt', `legacy message CRC ${crc} does not match computed ${actual}`);
  }
  const attributes = buf.readInt8(start + 5);
  let pos = start + 6;
  let timestamp = -1n;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(pos);
    pos += 8;
  }
  const [key, afterKey] = nullableBytes(buf, pos, end, 'key');
  const [value, afterValue] = nullableBytes(buf, afterKey, end, 'value');
  if (afterValue !== end) throw new ProtocolError('malformed', `legacy message has ${end - afterValue} bytes after its value`);
  return { offset: buf.readBigInt64BE(offset), crc, magic, attributes, timestamp, key, value, size: LOG_OVERHEAD + messageSize };
}

/** Size of the legacy entry at `offset` as declared, or throws if its length prefix is missing or negative. */
function entrySize(buf: Buffer, offset: number): number {
  if (buf.length - offset < LOG_OVERHEAD) throw new ProtocolError('truncated', 'legacy message shorter than its length prefix');
  const n = buf.readInt32BE(offset + 8);
  if (n < 0) throw new ProtocolError('malformed', `legacy message size ${n}`);
  return LOG_OVERHEAD + n;
}

const toRecord = (m: LegacyMessage, offset: bigint, timestamp: bigint): KafkaRecord => ({
  offset,
  timestamp,
  key: m.key,
  value: m.value,
  headers: [],
  offsetDelta: 0,
  attributes: m.attributes,
});

/** Decodes the legacy (magic 0 or 1) entry at `offset`, unwrapping a compressed one. */
export function decodeLegacyMessage(buf: Buffer, options?: DecodeRecordBatchOptions, offset = 0): DecodedRecordBatch {
  const size = entrySize(buf, offset);
  if (size > buf.length - offset) throw new ProtocolError('truncated', `legacy message of ${size} bytes, ${buf.length - offset} present`);
  const verify = options?.verifyCrc !== false;
  const wrapper = readMessage(buf, offset, verify);
  const compression = wrapper.attributes & ATTR_COMPRESSION_MASK;
  const logAppend = wrapper.magic === 1 && (wrapper.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const timestampType = wrapper.magic === 0 ? TimestampType.NoTimestamp : logAppend ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  let records: KafkaRecord[];
  const codec = compressionCodec(compression);
  if (codec === null) {
    records = [toRecord(wrapper, wrapper.offset, wrapper.timestamp)];
  } else {
    if (wrapper.value === null) throw new ProtocolError('malformed', 'compressed legacy message with a null value');
    const inner = codec.decompress(wrapper.value, { maxOutputBytes: maxOutput(options) });
    const messages: LegacyMessage[] = [];
    for (let pos = 0; pos < inner.length; ) {
      const n = entrySize(inner, pos);
      if (n > inner.length - pos) throw new ProtocolError('truncated', `inner legacy message of ${n} bytes, ${inner.length - pos} present`);
      const m = readMessage(inner, pos, verify);
      if (m.magic !== wrapper.magic) throw new ProtocolError('malformed', `inner message magic ${m.magic} inside a magic ${wrapper.magic} wrapper`);
      if ((m.attributes & ATTR_COMPRESSION_MASK) !== CompressionType.None) throw new ProtocolError('malformed', 'nested compressed legacy message');
      messages.push(m);
      pos += n;
    }
    if (messages.length === 0) throw new ProtocolError('malformed', 'compressed legacy message with no inner messages');
    // Magic 1: inner offsets are relative, the wrapper holds the absolute offset of the last one (KIP-31).
    const shift = wrapper.magic === 0 ? 0n : wrapper.offset - messages[messages.length - 1].offset;
    records = messages.map((m, i) => {
      const r = toRecord(m, m.offset + shift, logAppend ? wrapper.timestamp : m.timestamp);
      r.offsetDelta = i;
      return r;
    });
  }
  const baseOffset = records[0].offset;
  for (const r of records) r.offsetDelta = Number(r.offset - baseOffset);
  return {
    baseOffset,
    batchLength: size - LOG_OVERHEAD,
    partitionLeaderEpoch: -1,
    magic: wrapper.magic,
    crc: wrapper.crc,
    attributes: wrapper.attributes,
    lastOffsetDelta: Number(wrapper.offset - baseOffset),
    baseTimestamp: wrapper.timestamp,
    maxTimestamp: wrapper.timestamp,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: records.length,
    compression,
    timestampType,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    lastOffset: wrapper.offset,
    records,
    sizeInBytes: size,
  };
}
