// Compaction seen by clients we did not write (kafkajs) and on the wire: a compacted topic created through the
// admin API, cleaned, then consumed from the beginning (the consumer walks over the offset gaps and sees the latest
// value of every key), before and after a broker restart on the same data directory; AlterConfigs to compact takes
// effect on the running cleaner, and so does IncrementalAlterConfigs (raw, picked up by the cleaner's own timer);
// keyless produce is INVALID_RECORD (kafkajs), with per-record errors (raw Produce v8+).
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import {
  ApiKey,
  ErrorCode,
  createIncrementalAlterConfigsRequest,
  createProduceRequest,
  encodeRecordBatch,
  type IncrementalAlterConfigsResponse,
  type ProduceResponse,
} from '@tributary/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { WireClient } from './support/wire-client';

jest.setTimeout(60_000);

const COMPACT = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.bytes', value: '4096' },
  { name: 'min.cleanable.dirty.ratio', value: '0.01' },
  { name: 'file.delete.delay.ms', value: '0' },
];

let dataDir: string;
let kafka: TestBroker;
let client: Kafka;
let admin: Admin;
let producer: Producer;

async function start(): Promise<void> {
  kafka = await createTestBroker({ dataDir, config: { 'log.cleaner.enable': 'false' } });
  client = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  admin = client.admin();
  producer = client.producer();
  await Promise.all([admin.connect(), producer.connect()]);
}
async function stop(): Promise<void> {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  await kafka.close();
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-compact-clients-'));
  await start();
});
afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Consumes a whole topic from the beginning with a fresh group; resolves once the high watermark is reached. */
async function consumeAll(topic: string): Promise<{ offset: bigint; key: string; value: string | null }[]> {
  const [{ high }] = await admin.fetchTopicOffsets(topic);
  const consumer = client.consumer({ groupId: `g-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const seen: { offset: bigint; key: string; value: string | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed only ${seen.length} records, high watermark ${high}`)), 20_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) seen.push({ offset: BigInt(m.offset), key: m.key!.toString(), value: m.value?.toString() ?? null });
        if (BigInt(batch.highWatermark) === BigInt(high) && BigInt(batch.lastOffset()) + 1n >= BigInt(high)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

const latest = (records: { key: string; value: string | null }[]): Map<string, string | null> => new Map(records.map((r) => [r.key, r.value]));

it('a kafkajs consumer reads the latest value of every key over the gaps, before and after a restart', async () => {
  await admin.createTopics({ topics: [{ topic: 'profiles', numPartitions: 1, configEntries: COMPACT }] });
  const expected = new Map<string, string | null>();
  for (let round = 0; round < 12; round++) {
    const messages = Array.from({ length: 20 }, (_, k) => ({ key: `user-${k}`, value: `round-${round}-${'p'.repeat(60)}` }));
    await producer.send({ topic: 'profiles', acks: -1, messages });
    for (const m of messages) expected.set(m.key, m.value);
  }
  await producer.send({ topic: 'profiles', acks: -1, messages: [{ key: 'user-3', value: null }] }); // a tombstone
  expected.set('user-3', null);
  await producer.send({ topic: 'profiles', acks: -1, messages: [{ key: 'user-0', value: 'last' }] });
  expected.set('user-0', 'last');
  kafka.broker.logs.log('profiles', 0)!.roll();

  const [pass] = await kafka.broker.logs.cleaner.cleanNow('profiles');
  expect(pass.recordsKept).toBe(20);
  const first = await consumeAll('profiles');
  expect(first.length).toBe(20);
  expect(latest(first)).toEqual(expected);
  expect(first[0].offset).toBeGreaterThan(0n); // the early offsets are gone; the consumer skipped them

  await stop();
  await start();
  const again = await consumeAll('profiles');
  expect(again).toEqual(first);
  // more updates after the restart are compacted against the data cleaned before it
  await producer.send({ topic: 'profiles', acks: -1, messages: [{ key: 'user-1', value: 'after-restart' }] });
  expected.set('user-1', 'after-restart');
  kafka.broker.logs.log('profiles', 0)!.roll();
  await kafka.broker.logs.cleaner.cleanNow('profiles');
  const third = await consumeAll('profiles');
  expect(latest(third)).toEqual(expected);
  expect(third.filter((r) => r.key === 'user-1')).toHaveLength(1);
});

it('AlterConfigs to cleanup.policy=compact takes effect on the running cleaner', async () => {
  await admin.createTopics({ topics: [{ topic: 'was-delete', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }] }] });
  for (let round = 0; round < 5; round++) {
    await producer.send({ topic: 'was-delete', acks: -1, messages: Array.from({ length: 20 }, (_, k) => ({ key: `k${k}`, value: `r${round}`.padEnd(80, '.') })) });
  }
  kafka.broker.logs.log('was-delete', 0)!.roll();
  expect(await kafka.broker.logs.cleaner.cleanNow('was-delete')).toEqual([]);
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 2 /* TOPIC */, name: 'was-delete', configEntries: [...COMPACT.slice(0, 1), COMPACT[2]] }],
  });
  const [pass] = await kafka.broker.logs.cleaner.cleanNow('was-delete');
  expect(pass.recordsKept).toBe(20);
  expect((await consumeAll('was-delete')).length).toBe(20);
});

it('IncrementalAlterConfigs APPEND compact (raw v1) takes effect on the running cleaner, whose timer then cleans', async () => {
  await kafka.close(); // a broker whose cleaner timer runs every 200 ms
  kafka = await createTestBroker({ dataDir, config: { 'log.cleaner.backoff.ms': '200' } });
  client = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  admin = client.admin();
  producer = client.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  await admin.createTopics({ topics: [{ topic: 'incremental', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }] }] });
  for (let round = 0; round < 5; round++) {
    await producer.send({ topic: 'incremental', acks: -1, messages: Array.from({ length: 20 }, (_, k) => ({ key: `k${k}`, value: `r${round}`.padEnd(80, '.') })) });
  }
  const log = kafka.broker.logs.log('incremental', 0)!;
  log.roll();
  const wire = await WireClient.connect(kafka.port);
  try {
    const res = await wire.send<IncrementalAlterConfigsResponse>(
      ApiKey.IncrementalAlterConfigs,
      1,
      createIncrementalAlterConfigsRequest({
        resources: [
          {
            resourceType: 2,
            resourceName: 'incremental',
            configs: [
              { name: 'cleanup.policy', configOperation: 2 /* APPEND */, value: 'compact' },
              { name: 'min.cleanable.dirty.ratio', configOperation: 0 /* SET */, value: '0.01' },
            ],
          },
        ],
      }),
    );
    expect(res.responses[0].errorCode).toBe(0);
  } finally {
    wire.close();
  }
  expect(log.config.compactEnabled && log.config.deleteEnabled).toBe(true);
  const deadline = Date.now() + 10_000;
  while (kafka.broker.logs.cleaner.history.every((h) => h.topic !== 'incremental') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(kafka.broker.logs.cleaner.history.find((h) => h.topic === 'incremental')?.recordsKept).toBe(20);
  expect((await consumeAll('incremental')).length).toBe(20);
});

it('kafkajs: producing a keyless message to a compacted topic fails with INVALID_RECORD', async () => {
  await admin.createTopics({ topics: [{ topic: 'needs-keys', numPartitions: 1, configEntries: COMPACT }] });
  const err = await producer.send({ topic: 'needs-keys', acks: -1, messages: [{ value: 'no key' }] }).catch((e: Error & { type?: string; cause?: { type?: string } }) => e);
  expect(err).toBeInstanceOf(Error);
  const e = err as Error & { type?: string; cause?: { type?: string } };
  expect(e.type ?? e.cause?.type).toBe('INVALID_RECORD');
  await expect(producer.send({ topic: 'needs-keys', acks: -1, messages: [{ key: 'k', value: 'fine' }] })).resolves.toBeDefined();
});

it('raw Produce v8+: INVALID_RECORD with one record error per keyless record, Kafka\'s messages', async () => {
  await admin.createTopics({ topics: [{ topic: 'raw-keys', numPartitions: 1, configEntries: COMPACT }] });
  const wire = await WireClient.connect(kafka.port);
  try {
    const now = BigInt(Date.now());
    const records = encodeRecordBatch({
      records: [
        { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: now },
        { key: null, value: Buffer.from('2'), timestamp: now },
        { key: null, value: null, timestamp: now },
      ],
    });
    for (const version of [8, 9, 11]) {
      const res = await wire.send<ProduceResponse>(
        ApiKey.Produce,
        version,
        createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [{ name: 'raw-keys', partitionData: [{ index: 0, records }] }] }),
      );
      const p = res.responses[0].partitionResponses[0];
      expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(p.baseOffset).toBe(-1n);
      const message = 'Compacted topic cannot accept message without key in topic partition raw-keys-0.';
      expect(p.recordErrors).toEqual([
        { batchIndex: 1, batchIndexErrorMessage: message },
        { batchIndex: 2, batchIndexErrorMessage: message },
      ]);
      expect(p.errorMessage).toContain('One or more records have been rejected due to 2 record errors in total');
    }
    // before v8 there is no recordErrors field: the partition error alone
    const v7 = await wire.send<ProduceResponse>(
      ApiKey.Produce,
      7,
      createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [{ name: 'raw-keys', partitionData: [{ index: 0, records }] }] }),
    );
    expect(v7.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(kafka.broker.logs.log('raw-keys', 0)!.logEndOffset).toBe(0n);
  } finally {
    wire.close();
  }
});
