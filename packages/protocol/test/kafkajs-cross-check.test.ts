// Cross-check against kafkajs 2.2.4, a Kafka client we did not write: batches its RecordBatch encoder writes decode
// with ours (records, offsets, timestamps, headers and CRC), batches we write decode with its RecordBatchDecoder, and
// its legacy MessageSet encoder's output (magic 0 and 1, plain and compressed wrappers) decodes with ours.
// Snappy and LZ4 go through the npm plugins kafkajs-snappy and kafkajs-lz4 (node-lz4, a separate LZ4 implementation);
// zstd through a small codec over the zstd package, as kafkajs has no installable zstd plugin here.
import {
  CompressionType,
  ControlRecordType,
  TimestampType,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeTransactionMarkerBatch,
  lz4Compress,
  type KafkaRecord,
  type RecordInput,
} from '@tributary/protocol';

/* eslint-disable @typescript-eslint/no-require-imports */
const { CompressionCodecs, CompressionTypes } = require('kafkajs');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C');
const Decoder = require('kafkajs/src/protocol/decoder');
const Encoder = require('kafkajs/src/protocol/encoder');
const MessageSet = require('kafkajs/src/protocol/messageSet');
const MessageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder');
const MessageProtocol = require('kafkajs/src/protocol/message');
const { lookupCodec } = require('kafkajs/src/protocol/message/compression');
const Long = require('kafkajs/src/utils/long');
const SnappyCodec = require('kafkajs-snappy');
const LZ4Codec = require('kafkajs-lz4');
const zstd = require('@toondepauw/node-zstd');
/* eslint-enable @typescript-eslint/no-require-imports */

const zstdEncoder = new zstd.Encoder(3);
const zstdDecoder = new zstd.Decoder();
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstdEncoder.encodeSync(encoder.buffer),
  decompress: async (buffer: Buffer) => zstdDecoder.decodeSync(buffer),
});

const COMPRESSIONS: [string, CompressionType][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

const BASE_TS = 1_700_000_000_000n;

interface Sample {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer }[];
  timestamp: bigint;
}

function samples(n: number, valueSize = 40): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 5 === 4 ? null : Buffer.from(`value-${i}-`.padEnd(valueSize, String.fromCharCode(97 + (i % 26)))),
    headers: i % 2 === 0 ? [] : [{ key: 'trace-id', value: Buffer.from(`t${i}`) }, { key: 'ünïcode', value: Buffer.from('✓') }],
    timestamp: BASE_TS + BigInt(i * 7),
  }));
}

/** Encodes with kafkajs's own RecordBatch + Record encoders. */
async function kafkajsBatch(records: Sample[], compression: CompressionType, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const encoded = records.map((r, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: Number(r.timestamp - records[0].timestamp),
      key: r.key,
      value: r.value,
      headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
    }),
  );
  const batch = await RecordBatch({
    compression,
    firstOffset: Long.fromString('1234567890123'),
    firstTimestamp: Number(records[0].timestamp),
    maxTimestamp: Number(records[records.length - 1].timestamp),
    lastOffsetDelta: records.length - 1,
    partitionLeaderEpoch: 7,
    records: encoded,
    ...extra,
  });
  return batch.buffer as Buffer;
}

function expectRecords(actual: KafkaRecord[], expected: Sample[], baseOffset: bigint): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((r, i) => {
    expect(r.offset).toBe(baseOffset + BigInt(i));
    expect(r.timestamp).toBe(expected[i].timestamp);
    expect(r.key).toEqual(expected[i].key);
    expect(r.value).toEqual(expected[i].value);
    expect(r.headers).toEqual(expected[i].headers);
  });
}

describe('batches written by kafkajs decode with ours', () => {
  it.each(COMPRESSIONS)('%s: records, offsets, timestamps, headers and CRC', async (_name, compression) => {
    const records = samples(50);
    const buf = await kafkajsBatch(records, compression);
    const batch = decodeRecordBatch(buf); // verifies the CRC32C kafkajs computed
    expect(batch.compression).toBe(compression);
    expect(batch.baseOffset).toBe(1234567890123n);
    expect(batch.partitionLeaderEpoch).toBe(7);
    expect(batch.sizeInBytes).toBe(buf.length);
    expect(batch.crc).toBe(kafkajsCrc32C(buf.subarray(21)));
    expectRecords(batch.records, records, 1234567890123n);
  });

  it('transactional idempotent batch keeps producer id, epoch, sequence and the transactional flag', async () => {
    const records = samples(3);
    const buf = await kafkajsBatch(records, CompressionType.None, {
      transactional: true,
      producerId: Long.fromString('9007199254740993'), // above 2^53: must survive as a bigint
      producerEpoch: 3,
      firstSequence: 42,
    });
    const batch = decodeRecordBatch(buf);
    expect(batch.isTransactional).toBe(true);
    expect(batch.isControl).toBe(false);
    expect(batch.producerId).toBe(9007199254740993n);
    expect(batch.producerEpoch).toBe(3);
    expect(batch.baseSequence).toBe(42);
  });

  it('a large value (1 MiB) round-trips through every kafkajs codec', async () => {
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const records: Sample[] = [{ key: null, value: big, headers: [], timestamp: BASE_TS }];
    for (const [, compression] of COMPRESSIONS) {
      // Buffer.equals, not toEqual: jest compares buffers byte by byte through its generic equality, very slowly.
      expect(decodeRecordBatch(await kafkajsBatch(records, compression)).records[0].value?.equals(big)).toBe(true);
    }
  });
});

interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}

describe('batches we write decode with kafkajs', () => {
  it.each(COMPRESSIONS)('%s: kafkajs RecordBatchDecoder reads our records; its CRC32C matches ours', async (_name, compression) => {
    const records = samples(40);
    const input: RecordInput[] = records;
    const buf = encodeRecordBatch({ baseOffset: 77n, compression, records: input, producerId: 5n, producerEpoch: 1, baseSequence: 10 });
    const decoded = await RecordBatchDecoder(new Decoder(buf));
    expect(decoded.firstOffset).toBe('77');
    expect(decoded.producerId).toBe('5');
    expect(decoded.firstSequence).toBe(10);
    expect(buf.readUInt32BE(17)).toBe(kafkajsCrc32C(buf.subarray(21)));
    const got: KafkajsRecord[] = decoded.records;
    expect(got).toHaveLength(records.length);
    got.forEach((r, i) => {
      expect(r.offset).toBe(String(77 + i));
      expect(r.timestamp).toBe(String(records[i].timestamp));
      expect(r.key).toEqual(records[i].key);
      expect(r.value).toEqual(records[i].value);
      expect(r.headers).toEqual(Object.fromEntries(records[i].headers.map((h) => [h.key, h.value])));
    });
  });

  it('a COMMIT marker batch is a control batch to kafkajs', async () => {
    const buf = encodeTransactionMarkerBatch({
      baseOffset: 100n,
      producerId: 12n,
      producerEpoch: 2,
      type: ControlRecordType.Commit,
      coordinatorEpoch: 9,
      timestamp: BASE_TS,
    });
    const decoded = await RecordBatchDecoder(new Decoder(buf));
    expect(decoded.isControlBatch).toBe(true);
    expect(decoded.inTransaction).toBe(true);
    expect(decoded.records[0].isControlRecord).toBe(true);
    expect(decoded.records[0].key).toEqual(Buffer.from([0, 0, 0, 1]));
  });

  it('LogAppendTime: kafkajs and we both give every record the batch max timestamp', async () => {
    const records = samples(3);
    const buf = encodeRecordBatch({ timestampType: TimestampType.LogAppendTime, maxTimestamp: BASE_TS + 999n, records });
    const theirs = await RecordBatchDecoder(new Decoder(buf));
    const ours = decodeRecordBatch(buf);
    expect(theirs.records.map((r: KafkajsRecord) => r.timestamp)).toEqual(['1700000000999', '1700000000999', '1700000000999']);
    expect(ours.records.map((r) => r.timestamp)).toEqual([BASE_TS + 999n, BASE_TS + 999n, BASE_TS + 999n]);
  });
});

// ---------------------------------------------------------------- legacy MessageSet

const entries = [
  { key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: 1_600_000_000_000 },
  { key: null, value: Buffer.from('v1'), timestamp: 1_600_000_000_001 },
  { key: Buffer.from('k2'), value: null, timestamp: 1_600_000_000_002 },
];

/** A compressed wrapper the way a Kafka producer sends one: inner set (offsets 0..n-1), compressed, as one message. */
async function wrapped(magic: 0 | 1, compression: number, wrapperOffset: bigint, compressed?: Buffer): Promise<Buffer> {
  const inner = MessageSet({ messageVersion: magic, compression, entries });
  const value = compressed ?? (await lookupCodec(compression).compress(inner));
  const message = MessageProtocol({ version: magic })({ compression, timestamp: 1_600_000_000_002, key: null, value });
  return new Encoder().writeInt64(Long.fromString(String(wrapperOffset))).writeInt32(message.size()).writeEncoder(message).buffer;
}

describe('legacy MessageSets written by kafkajs decode with ours', () => {
  it.each([0, 1] as const)('magic %i uncompressed: one record per entry, CRC-32 checked', async (magic) => {
    const buf: Buffer = MessageSet({ messageVersion: magic, compression: 0, entries }).buffer;
    const { batches, truncated } = decodeRecordBatches(buf);
    expect(truncated).toBeNull();
    expect(batches).toHaveLength(3);
    batches.forEach((b, i) => {
      expect(b.magic).toBe(magic);
      expect(b.records).toHaveLength(1);
      expect(b.records[0].key).toEqual(entries[i].key);
      expect(b.records[0].value).toEqual(entries[i].value);
      expect(b.records[0].timestamp).toBe(magic === 0 ? -1n : BigInt(entries[i].timestamp));
      expect(b.timestampType).toBe(magic === 0 ? TimestampType.NoTimestamp : TimestampType.CreateTime);
    });
    const theirs = await MessageSetDecoder(new Decoder(buf), buf.length);
    expect(theirs.map((m: { crc: number }) => m.crc >>> 0)).toEqual(batches.map((b) => b.crc));
  });

  const codecs: [string, number][] = [
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
  ];
  for (const magic of [0, 1] as const) {
    it.each(codecs)(`magic ${magic} %s wrapper: inner records with absolute offsets, as kafkajs decodes them`, async (_n, compression) => {
      const wrapperOffset = magic === 1 ? 42n : 40n; // magic 1: offset of the last inner message; magic 0: inner are absolute
      const buf = await wrapped(magic, compression, wrapperOffset);
      const { batches } = decodeRecordBatches(buf);
      expect(batches).toHaveLength(1);
      const offsets = batches[0].records.map((r) => r.offset);
      expect(offsets).toEqual(magic === 1 ? [40n, 41n, 42n] : [0n, 1n, 2n]);
      expect(batches[0].records.map((r) => r.value)).toEqual(entries.map((e) => e.value));
      expect(batches[0].compression).toBe(compression);
      const theirs = await MessageSetDecoder(new Decoder(buf), buf.length);
      expect(theirs.map((m: { offset: string }) => BigInt(m.offset))).toEqual(offsets);
    });
  }

  it("magic 0 LZ4 with Kafka's old wrong header checksum (KAFKA-3160) decodes", async () => {
    const inner: Buffer = MessageSet({ messageVersion: 0, compression: CompressionTypes.LZ4, entries }).buffer;
    const buf = await wrapped(0, CompressionTypes.LZ4, 2n, lz4Compress(inner, { brokenHeaderChecksum: true }));
    expect(decodeRecordBatches(buf).batches[0].records.map((r) => r.key)).toEqual(entries.map((e) => e.key));
  });

  it('a legacy set followed by a v2 batch (a topic mid-upgrade) decodes in one pass', async () => {
    const legacy: Buffer = MessageSet({ messageVersion: 1, compression: 0, entries }).buffer;
    const v2 = await kafkajsBatch(samples(2), CompressionType.Gzip);
    const { batches } = decodeRecordBatches(Buffer.concat([legacy, v2]));
    expect(batches.map((b) => b.magic)).toEqual([1, 1, 1, 2]);
  });
});
