// Fetch and Produce semantics at exact wire versions, with a raw client: long-polling (MaxWaitMs/MinBytes), whole
// batches from the middle of a batch, KIP-74 (MaxBytes never starves the first partition), offset range errors,
// topic ids (v13+), isolation levels, legacy MessageSets (Produce v0-v2, encoded by kafkajs's own encoders),
// acks=0, CRC and size validation on produce.
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import {
  ApiKey,
  CompressionType,
  ErrorCode,
  TimestampType,
  createFetchRequest,
  createMetadataRequest,
  createProduceRequest,
  decodeRecordBatches,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type ProduceResponse,
} from '@tributary/protocol';
import { RawConnection } from './support/raw-connection';
import { WireClient } from './support/wire-client';

// kafkajs's own legacy encoders (Produce v0-v2 with MessageSet v0/v1), a client we did not write.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsProduce = require('kafkajs/src/protocol/requests/produce') as {
  protocol(v: { version: number }): (args: object) => { request: { encode(): Promise<{ buffer: Buffer }> } };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Types: KafkajsCompression } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

const FETCH_VERSIONS = [4, 11, 12, 13, 16, 17];

let kafka: TestBroker;
let client: WireClient;
let topicSeq = 0;

beforeAll(async () => {
  kafka = await createTestBroker();
  client = await WireClient.connect(kafka.port);
});
afterAll(async () => {
  client.close();
  await kafka.close();
});

interface Topic {
  name: string;
  topicId: string;
}

async function newTopic(partitions = 1, configs: Record<string, string> = {}): Promise<Topic> {
  const t = await kafka.broker.logs.createTopic(`fetch-${++topicSeq}`, { partitions, configs });
  return { name: t.name, topicId: t.topicId };
}

const now = () => BigInt(Date.now());

function batch(values: string[], opts: { keyPrefix?: string; compression?: CompressionType } = {}): Buffer {
  return encodeRecordBatch({
    compression: opts.compression,
    records: values.map((v, i) => ({
      key: opts.keyPrefix === undefined ? null : Buffer.from(`${opts.keyPrefix}${i}`),
      value: Buffer.from(v),
      headers: [],
      timestamp: now(),
    })),
  });
}

/** A batch of `count` records with incompressible values, about `valueBytes` each. */
function bigBatch(count: number, valueBytes: number): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: count }, () => ({ key: null, value: randomBytes(valueBytes), headers: [], timestamp: now() })),
  });
}

async function produce(topic: string, partition: number, records: Buffer, opts: { version?: number; acks?: number; on?: WireClient } = {}) {
  const res = await (opts.on ?? client).send<ProduceResponse>(
    ApiKey.Produce,
    opts.version ?? 9,
    createProduceRequest({ acks: opts.acks ?? -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }),
  );
  return res.responses[0].partitionResponses[0];
}

interface FetchPart {
  partition: number;
  offset: bigint;
  maxBytes?: number;
}

interface FetchOpts {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  isolationLevel?: number;
  on?: WireClient;
}

function fetchRequest(version: number, topic: Topic, parts: FetchPart[], opts: FetchOpts = {}) {
  return createFetchRequest({
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: opts.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: opts.isolationLevel ?? 0,
    topics: [
      {
        topic: version < 13 ? topic.name : '',
        topicId: topic.topicId,
        partitions: parts.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: p.maxBytes ?? 1024 * 1024,
          replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
        })),
      },
    ],
  });
}

async function fetch(version: number, topic: Topic, parts: FetchPart[], opts: FetchOpts = {}): Promise<FetchResponse> {
  return (opts.on ?? client).send<FetchResponse>(ApiKey.Fetch, version, fetchRequest(version, topic, parts, opts));
}

async function fetchOne(version: number, topic: Topic, offset: bigint, opts: FetchOpts & { partitionMaxBytes?: number } = {}) {
  const res = await fetch(version, topic, [{ partition: 0, offset, maxBytes: opts.partitionMaxBytes }], opts);
  expect(res.errorCode).toBe(0);
  expect(res.responses).toHaveLength(1);
  if (version >= 13) expect(res.responses[0].topicId).toBe(topic.topicId);
  else expect(res.responses[0].topic).toBe(topic.name);
  return res.responses[0].partitions[0];
}

const batchesOf = (p: FetchResponsePartitionData) => (p.records ? decodeRecordBatches(p.records).batches : []);
const valuesOf = (p: FetchResponsePartitionData) => batchesOf(p).flatMap((b) => b.records.map((r) => r.value!.toString()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(FETCH_VERSIONS)('Fetch v%i', (version) => {
  it('long-polls for MaxWaitMs when there is no data and answers with no records', async () => {
    const topic = await newTopic();
    await produce(topic.name, 0, batch(['a']));
    const started = Date.now();
    const p = await fetchOne(version, topic, 1n, { maxWaitMs: 300, minBytes: 1 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(3000);
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(1n);
    expect(p.records?.length ?? 0).toBe(0);
  });

  it('returns as soon as MinBytes arrive from a concurrent produce, long before MaxWaitMs', async () => {
    const topic = await newTopic();
    const producer = await WireClient.connect(kafka.port);
    try {
      const started = Date.now();
      const pending = fetchOne(version, topic, 0n, { maxWaitMs: 20_000, minBytes: 1 });
      await sleep(150);
      await produce(topic.name, 0, batch(['late-1', 'late-2']), { on: producer, acks: 1 });
      const p = await pending;
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(5000);
      expect(valuesOf(p)).toEqual(['late-1', 'late-2']);
      expect(p.highWatermark).toBe(2n);
    } finally {
      producer.close();
    }
  });

  it('returns the whole batch holding the fetch offset when fetching from the middle of it', async () => {
    const topic = await newTopic();
    await produce(topic.name, 0, batch(['r0', 'r1', 'r2', 'r3', 'r4'], { keyPrefix: 'k' }));
    await produce(topic.name, 0, batch(['r5', 'r6', 'r7']));
    const p = await fetchOne(version, topic, 2n);
    const batches = batchesOf(p);
    expect(batches.map((b) => [b.baseOffset, b.recordCount])).toEqual([
      [0n, 5],
      [5n, 3],
    ]);
    expect(batches[0].records.map((r) => r.key?.toString())).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    const fromSix = await fetchOne(version, topic, 6n);
    expect(batchesOf(fromSix).map((b) => b.baseOffset)).toEqual([5n]);
  });

  it('returns the first batch whole even when it exceeds MaxBytes (KIP-74), and then nothing for the next partition', async () => {
    const topic = await newTopic(2);
    const first = bigBatch(4, 1000);
    await produce(topic.name, 0, first);
    await produce(topic.name, 0, bigBatch(4, 1000));
    await produce(topic.name, 1, bigBatch(4, 1000));
    const res = await fetch(
      version,
      topic,
      [
        { partition: 0, offset: 0n },
        { partition: 1, offset: 0n },
      ],
      { maxBytes: 100 },
    );
    const [p0, p1] = res.responses[0].partitions;
    expect(p0.partitionIndex).toBe(0);
    expect(p0.errorCode).toBe(0);
    expect(p0.records!.length).toBe(first.length);
    expect(batchesOf(p0).map((b) => [b.baseOffset, b.recordCount])).toEqual([[0n, 4]]);
    expect(p1.partitionIndex).toBe(1);
    expect(p1.errorCode).toBe(0);
    expect(p1.highWatermark).toBe(4n);
    expect(p1.records?.length ?? 0).toBe(0);

    // the partition-level limit behaves the same way for the first partition with data
    const small = await fetchOne(version, topic, 0n, { partitionMaxBytes: 10 });
    expect(batchesOf(small).map((b) => b.baseOffset)).toEqual([0n]);
    // and the starved partition makes progress on its own
    const alone = await fetch(version, topic, [{ partition: 1, offset: 0n }], { maxBytes: 100 });
    expect(batchesOf(alone.responses[0].partitions[0]).map((b) => b.recordCount)).toEqual([4]);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the log end and before the log start', async () => {
    const topic = await newTopic();
    await produce(topic.name, 0, batch(['a', 'b', 'c']));
    await produce(topic.name, 0, batch(['d', 'e']));
    const beyond = await fetchOne(version, topic, 6n);
    expect(beyond.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(beyond.highWatermark).toBe(5n);
    expect(beyond.records?.length ?? 0).toBe(0);
    // the log end itself is in range (an empty answer)
    expect((await fetchOne(version, topic, 5n)).errorCode).toBe(0);

    await kafka.broker.logs.log(topic.name, 0)!.deleteRecordsBefore(3n);
    const before = await fetchOne(version, topic, 2n);
    expect(before.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    if (version >= 5) expect(before.logStartOffset).toBe(3n); // LogStartOffset is on the wire from v5
    const negative = await fetchOne(version, topic, -1n);
    expect(negative.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const atStart = await fetchOne(version, topic, 3n);
    expect(atStart.errorCode).toBe(0);
    if (version >= 5) expect(atStart.logStartOffset).toBe(3n);
    expect(valuesOf(atStart)).toEqual(['d', 'e']);
  });

  it('answers an unknown topic with UNKNOWN_TOPIC_ID (by id, v13+) or UNKNOWN_TOPIC_OR_PARTITION (by name)', async () => {
    const unknown: Topic = { name: `no-such-topic-${version}`, topicId: randomUUID() };
    const res = await fetch(version, unknown, [{ partition: 0, offset: 0n }], { maxWaitMs: 5000, minBytes: 1 });
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(p.records?.length ?? 0).toBe(0);
    if (version >= 13) expect(res.responses[0].topicId).toBe(unknown.topicId);
    // and an unknown partition of a known topic
    const topic = await newTopic();
    const bad = await fetch(version, topic, [{ partition: 7, offset: 0n }]);
    expect(bad.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('returns data for both read_uncommitted and read_committed (no transactions yet)', async () => {
    const topic = await newTopic();
    await produce(topic.name, 0, batch(['x', 'y']));
    const uncommitted = await fetchOne(version, topic, 0n, { isolationLevel: 0 });
    const committed = await fetchOne(version, topic, 0n, { isolationLevel: 1 });
    for (const p of [uncommitted, committed]) {
      expect(p.errorCode).toBe(0);
      expect(valuesOf(p)).toEqual(['x', 'y']);
      expect(p.highWatermark).toBe(2n);
      expect(p.lastStableOffset).toBe(2n);
    }
    expect(committed.abortedTransactions).toEqual([]);
  });
});

describe('Fetch long-poll and MinBytes', () => {
  it('keeps waiting until MinBytes have accumulated across several appends', async () => {
    const topic = await newTopic();
    const one = batch(['0123456789']);
    const producer = await WireClient.connect(kafka.port);
    try {
      const started = Date.now();
      const pending = fetchOne(12, topic, 0n, { maxWaitMs: 20_000, minBytes: one.length * 2 + 1 });
      await sleep(100);
      await produce(topic.name, 0, batch(['0123456789']), { on: producer, acks: 1 });
      await sleep(100);
      await produce(topic.name, 0, batch(['0123456789']), { on: producer, acks: 1 });
      await sleep(100);
      await produce(topic.name, 0, batch(['0123456789']), { on: producer, acks: 1 });
      const p = await pending;
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(batchesOf(p)).toHaveLength(3);
    } finally {
      producer.close();
    }
  });
});

describe('Produce', () => {
  describe.each([0, 1, 2])('legacy MessageSet (Produce v%i)', (version) => {
    it('stores the messages as RecordBatch v2 and fetches them back with keys, values and offsets', async () => {
      const topic = await newTopic();
      const messages = [
        { key: 'k1', value: 'v1', timestamp: 1_700_000_000_001 },
        { key: null, value: 'v2', timestamp: 1_700_000_000_002 },
        { key: 'k3', value: 'v3', timestamp: 1_700_000_000_003 },
      ];
      const encode = async (msgs: typeof messages, compression = KafkajsCompression.None) => {
        const { request } = kafkajsProduce.protocol({ version })({
          acks: -1,
          timeout: 5000,
          compression,
          topicData: [{ topic: topic.name, partitions: [{ partition: 0, messages: msgs }] }],
        });
        return (await request.encode()).buffer;
      };
      const res = await client.send<ProduceResponse>(ApiKey.Produce, version, await encode(messages));
      const pr = res.responses[0].partitionResponses[0];
      expect(pr.errorCode).toBe(0);
      expect(pr.baseOffset).toBe(0n);
      const second = await client.send<ProduceResponse>(ApiKey.Produce, version, await encode([{ key: 'k4', value: 'v4', timestamp: 1_700_000_000_004 }]));
      expect(second.responses[0].partitionResponses[0].baseOffset).toBe(3n);

      const p = await fetchOne(4, topic, 0n);
      const batches = batchesOf(p);
      expect(batches.map((b) => [b.magic, b.baseOffset, b.recordCount])).toEqual([
        [2, 0n, 3],
        [2, 3n, 1],
      ]);
      const records = batches.flatMap((b) => b.records);
      expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
        [0n, 'k1', 'v1'],
        [1n, null, 'v2'],
        [2n, 'k3', 'v3'],
        [3n, 'k4', 'v4'],
      ]);
      if (version === 2) {
        // magic 1 messages carry their timestamps
        expect(records.map((r) => r.timestamp)).toEqual([1_700_000_000_001n, 1_700_000_000_002n, 1_700_000_000_003n, 1_700_000_000_004n]);
        expect(batches[0].timestampType).toBe(TimestampType.CreateTime);

        // a gzip-compressed wrapper message becomes one compressed v2 batch
        const gz = await client.send<ProduceResponse>(ApiKey.Produce, version, await encode(messages, KafkajsCompression.GZIP));
        expect(gz.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 4n });
        const fetched = batchesOf(await fetchOne(4, topic, 4n));
        expect(fetched.map((b) => [b.baseOffset, b.recordCount, b.compression])).toEqual([[4n, 3, CompressionType.Gzip]]);
        expect(fetched[0].records.map((r) => [r.key?.toString() ?? null, r.value?.toString()])).toEqual([
          ['k1', 'v1'],
          [null, 'v2'],
          ['k3', 'v3'],
        ]);
      }
    });
  });

  it('rejects a legacy message with a bad CRC with CORRUPT_MESSAGE and appends nothing', async () => {
    const topic = await newTopic();
    const { request } = kafkajsProduce.protocol({ version: 2 })({ acks: -1, timeout: 5000, topicData: [{ topic: topic.name, partitions: [{ partition: 0, messages: [{ key: 'k', value: 'value' }] }] }] });
    const body = Buffer.from((await request.encode()).buffer);
    body[body.length - 1] ^= 0xff; // the last byte of the value, covered by the CRC
    const res = await client.send<ProduceResponse>(ApiKey.Produce, 2, body);
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(0n);
  });

  it('sends no response for acks=0 but appends, and later requests on the connection are still answered', async () => {
    const topic = await newTopic();
    const raw = await RawConnection.connect(kafka.port);
    try {
      const produce0 = createProduceRequest({ acks: 0, timeoutMs: 5000, topicData: [{ name: topic.name, partitionData: [{ index: 0, records: batch(['fire', 'forget']) }] }] });
      for (const v of [3, 9, 11]) await raw.write(encodeRequest(ApiKey.Produce, v, 100 + v, 'acks0', produce0));
      await raw.write(encodeRequest(ApiKey.Metadata, 12, 200, 'acks0', createMetadataRequest({ topics: null })));
      const [frame] = await raw.waitForFrames(1);
      expect(frame.correlationId).toBe(200);
      const md = decodeResponse(frame.frame, ApiKey.Metadata, 12).body;
      expect(md.topics.map((t) => t.name)).toContain(topic.name);
      await sleep(200);
      expect(raw.frames.map((f) => f.correlationId)).toEqual([200]);
      expect(raw.isClosed).toBe(false);
      expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(6n);
    } finally {
      raw.close();
    }
  });

  it('closes the connection when an acks=0 produce fails, since no response can carry the error (as Kafka does)', async () => {
    const topic = await newTopic();
    const corrupt = batch(['bad']);
    corrupt[corrupt.length - 1] ^= 0x01;
    const cases = [
      createProduceRequest({ acks: 0, timeoutMs: 5000, topicData: [{ name: 'acks0-unknown-topic', partitionData: [{ index: 0, records: batch(['x']) }] }] }),
      createProduceRequest({ acks: 0, timeoutMs: 5000, topicData: [{ name: topic.name, partitionData: [{ index: 0, records: corrupt }] }] }),
      createProduceRequest({ acks: 0, timeoutMs: 5000, topicData: [{ name: topic.name, partitionData: [{ index: 3, records: batch(['x']) }] }] }),
    ];
    for (const body of cases) {
      const raw = await RawConnection.connect(kafka.port);
      await raw.write(encodeRequest(ApiKey.Produce, 9, 1, 'acks0', body));
      expect(await raw.waitForClose(3000)).toBe(true);
      expect(raw.frames).toHaveLength(0);
    }
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(0n);
  });

  it('rejects a batch with a bad CRC with CORRUPT_MESSAGE and appends nothing, while another partition succeeds', async () => {
    const topic = await newTopic(2);
    const bad = batch(['one', 'two']);
    bad[bad.length - 2] ^= 0x01; // inside the last record, covered by the CRC32C
    const good = batch(['fine']);
    const res = await client.send<ProduceResponse>(
      ApiKey.Produce,
      9,
      createProduceRequest({
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          {
            name: topic.name,
            partitionData: [
              { index: 0, records: bad },
              { index: 1, records: good },
            ],
          },
        ],
      }),
    );
    const [p0, p1] = res.responses[0].partitionResponses;
    expect(p0).toMatchObject({ index: 0, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n });
    expect(p1).toMatchObject({ index: 1, errorCode: 0, baseOffset: 0n });
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(0n);
    expect(kafka.broker.logs.log(topic.name, 1)!.highWatermark).toBe(1n);
    // a good batch followed by a corrupt one in the same request: neither is appended
    const both = await produce(topic.name, 0, Buffer.concat([batch(['ok']), bad]));
    expect(both.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(0n);
  });

  it('rejects a batch over max.message.bytes with MESSAGE_TOO_LARGE and appends nothing', async () => {
    const topic = await newTopic(1, { 'max.message.bytes': '2000' });
    const fits = bigBatch(1, 1000);
    const tooBig = bigBatch(3, 1000);
    expect(tooBig.length).toBeGreaterThan(2000);
    expect((await produce(topic.name, 0, tooBig)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce(topic.name, 0, Buffer.concat([fits, tooBig]))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(0n);
    expect((await produce(topic.name, 0, fits)).errorCode).toBe(0);
    expect(kafka.broker.logs.log(topic.name, 0)!.highWatermark).toBe(1n);
  });

  it('answers an unknown topic with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const p = await produce('never-created-topic', 0, batch(['x']));
    expect(p.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
