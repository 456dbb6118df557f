// kafkajs 2.2.4 transactions (InitProducerId v1, AddPartitionsToTxn v1, AddOffsetsToTxn v1, TxnOffsetCommit v1,
// EndTxn v1, FindCoordinator v2 for key type 1) with kafkajs consumers in read_committed (its default) and
// read_uncommitted: committed transactions are seen once, aborted ones only by read_uncommitted, offsets sent
// with a transaction become the group's offsets only when it commits; a consume-transform-produce loop with a
// live consumer group; a second producer with the same transactional id fences the first.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(90_000);

let kafka: TestBroker;
let client: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  kafka = await createTestBroker({ config: { 'transaction.state.log.num.partitions': '5', 'offsets.topic.num.partitions': '5' } });
  client = new Kafka({ brokers: [kafka.bootstrap], clientId: 'txn-test', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
  admin = client.admin();
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
});
afterAll(async () => {
  await admin?.disconnect();
  await kafka?.close();
});

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Reads a topic from the beginning with a fresh group; resolves once `expected` values arrived (plus a grace). */
async function readAll(topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = client.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition}:${message.value}`) });
  await waitFor(`${expected} records of ${topic}`, () => seen.length >= expected);
  await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
  await consumer.disconnect();
  return seen.sort();
}

it('read_committed sees committed transactions only, read_uncommitted sees aborted records too; offsets follow the commit', async () => {
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'orders-src', numPartitions: 1 }] });
  const producer = client.producer({ transactionalId: 'orders-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const msgs = (prefix: string) => [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `${prefix}-${i}` }));

  const committed = await producer.transaction();
  await committed.send({ topic: 'orders', messages: msgs('committed') });
  await committed.sendOffsets({ consumerGroupId: 'orders-processor', topics: [{ topic: 'orders-src', partitions: [{ partition: 0, offset: '4' }] }] });
  await committed.commit();

  const aborted = await producer.transaction();
  await aborted.send({ topic: 'orders', messages: msgs('aborted') });
  await aborted.sendOffsets({ consumerGroupId: 'orders-processor', topics: [{ topic: 'orders-src', partitions: [{ partition: 0, offset: '8' }] }] });
  await aborted.abort();

  const last = await producer.transaction();
  await last.send({ topic: 'orders', messages: msgs('last') });
  await last.commit();
  await producer.disconnect();

  const expectedCommitted = [...msgs('committed'), ...msgs('last')].map((m) => `${m.partition}:${m.value}`).sort();
  expect(await readAll('orders', false, 8)).toEqual(expectedCommitted);
  const everything = [...msgs('committed'), ...msgs('aborted'), ...msgs('last')].map((m) => `${m.partition}:${m.value}`).sort();
  expect(await readAll('orders', true, 12)).toEqual(everything);

  const offsets = await admin.fetchOffsets({ groupId: 'orders-processor', topics: ['orders-src'] });
  expect(offsets[0].partitions).toEqual([expect.objectContaining({ partition: 0, offset: '4' })]);
  const ends = await admin.fetchTopicOffsets('orders');
  expect(ends.map((p) => p.high).sort()).toEqual(['9', '9']); // 2+2+2 records and 3 markers per partition
});

it('consume-transform-produce with a live consumer group writes each input once and advances the group with each commit', async () => {
  await admin.createTopics({ topics: [{ topic: 'ctp-in', numPartitions: 2 }, { topic: 'ctp-out', numPartitions: 1 }] });
  const feeder = client.producer();
  await feeder.connect();
  await feeder.send({ topic: 'ctp-in', acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, value: `in-${i}` })) });
  await feeder.disconnect();

  const producer = client.producer({ transactionalId: 'ctp-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = client.consumer({ groupId: 'ctp-group', maxWaitTimeInMs: 100, heartbeatInterval: 200 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
  let processed = 0;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      const txn = await producer.transaction();
      try {
        await txn.send({ topic: 'ctp-out', messages: batch.messages.map((m) => ({ value: `out-${m.value}` })) });
        const next = (BigInt(batch.messages[batch.messages.length - 1].offset) + 1n).toString();
        await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        await txn.commit();
        processed += batch.messages.length;
      } catch (err) {
        await txn.abort();
        throw err;
      }
      await heartbeat();
    },
  });
  await waitFor('40 inputs processed', () => processed >= 40);
  await consumer.disconnect();
  await producer.disconnect();

  const out = await readAll('ctp-out', false, 40);
  expect(out).toEqual(Array.from({ length: 40 }, (_, i) => `0:out-in-${i}`).sort());
  const offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] });
  expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
    [0, '20'],
    [1, '20'],
  ]);
});

it('a second producer with the same transactional id fences the first', async () => {
  await admin.createTopics({ topics: [{ topic: 'fenced', numPartitions: 1 }] });
  const first = client.producer({ transactionalId: 'fence-tx', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
  await first.connect();
  const t1 = await first.transaction();
  await t1.send({ topic: 'fenced', messages: [{ value: 'zombie' }] });

  const second = client.producer({ transactionalId: 'fence-tx', idempotent: true, maxInFlightRequests: 1 });
  await second.connect(); // aborts the first producer's transaction and bumps the epoch
  const t2 = await second.transaction();
  await t2.send({ topic: 'fenced', messages: [{ value: 'survivor' }] });
  await t2.commit();

  await expect(t1.commit()).rejects.toThrow();
  await first.disconnect().catch(() => undefined);
  await second.disconnect();
  expect(await readAll('fenced', false, 1)).toEqual(['0:survivor']);
  expect(await readAll('fenced', true, 2)).toEqual(['0:survivor', '0:zombie']);
});
