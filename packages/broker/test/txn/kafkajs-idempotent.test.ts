// kafkajs 2.2.4's idempotent producer (InitProducerId v1, Produce v7 with producer id, epoch and sequences)
// against injected failures: the broker appends a request and then drops the connection instead of answering,
// so the client retries a batch that is already in the log. The broker recognises the retry and answers with
// the original offsets, so the log holds every record exactly once, in order. The same failures duplicate
// records for a producer without idempotence (showing that the retries really happen).
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { ApiKey } from '@tributary/protocol';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { TxnWire, recordsOf } from './txn-test-support';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(60_000);

let kafka: TestBroker;
let client: Kafka;

beforeAll(async () => {
  kafka = await createTestBroker();
  client = new Kafka({ brokers: [kafka.bootstrap], clientId: 'idempotence-test', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 300 } });
});
afterAll(async () => {
  kafka.broker.intercept(ApiKey.Produce, undefined);
  await kafka?.close();
});

/** Every `every`-th Produce request is appended, then its connection is dropped instead of answering. */
function dropEveryNthResponse(every: number): { dropped: () => number } {
  let n = 0;
  let dropped = 0;
  kafka.broker.intercept(ApiKey.Produce, async (_req, _ctx, next) => {
    const response = await next();
    if (++n % every === 0) {
      dropped++;
      throw new Error('injected failure: response dropped after the append');
    }
    return response;
  });
  return { dropped: () => dropped };
}

async function sendAll(producer: Producer, topic: string, batches: number, perBatch: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: perBatch }, (_, i) => ({ value: `m-${b * perBatch + i}` })) });
  }
}

async function logValues(topic: string): Promise<string[]> {
  const wire = await TxnWire.connect(kafka.port);
  try {
    return recordsOf(await wire.fetch(topic, 0, 0n, 0)).map((r) => r.value);
  } finally {
    wire.close();
  }
}

it('an idempotent producer whose responses are lost writes every record exactly once, in order', async () => {
  await kafka.broker.logs.createTopic('idempotent-retries', { partitions: 1 });
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 300 } });
  await producer.connect();
  const failures = dropEveryNthResponse(3);
  try {
    await sendAll(producer, 'idempotent-retries', 30, 3);
  } finally {
    kafka.broker.intercept(ApiKey.Produce, undefined);
    await producer.disconnect();
  }
  expect(failures.dropped()).toBeGreaterThanOrEqual(10);
  expect(await logValues('idempotent-retries')).toEqual(Array.from({ length: 90 }, (_, i) => `m-${i}`));
});

it('without idempotence the same lost responses duplicate records (the retries do happen)', async () => {
  await kafka.broker.logs.createTopic('plain-retries', { partitions: 1 });
  const producer = client.producer({ idempotent: false, maxInFlightRequests: 1, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 300 } });
  await producer.connect();
  const failures = dropEveryNthResponse(3);
  try {
    await sendAll(producer, 'plain-retries', 9, 1);
  } finally {
    kafka.broker.intercept(ApiKey.Produce, undefined);
    await producer.disconnect();
  }
  const values = await logValues('plain-retries');
  expect(values.length).toBe(9 + failures.dropped());
  expect(new Set(values).size).toBe(9);
});

it('producer ids of idempotent producers are distinct and the log keeps each producer in sequence', async () => {
  await kafka.broker.logs.createTopic('two-producers', { partitions: 1 });
  const a = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  const b = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([a.connect(), b.connect()]);
  try {
    for (let i = 0; i < 20; i++) {
      await Promise.all([
        a.send({ topic: 'two-producers', acks: -1, messages: [{ value: `a-${i}` }] }),
        b.send({ topic: 'two-producers', acks: -1, messages: [{ value: `b-${i}` }] }),
      ]);
    }
  } finally {
    await Promise.all([a.disconnect(), b.disconnect()]);
  }
  const wire = await TxnWire.connect(kafka.port);
  const records = recordsOf(await wire.fetch('two-producers', 0, 0n, 0));
  wire.close();
  const byProducer = new Map<bigint, string[]>();
  for (const r of records) byProducer.set(r.producerId, [...(byProducer.get(r.producerId) ?? []), r.value]);
  expect(byProducer.size).toBe(2);
  const lists = [...byProducer.values()].sort((x, y) => x[0].localeCompare(y[0]));
  expect(lists[0]).toEqual(Array.from({ length: 20 }, (_, i) => `a-${i}`));
  expect(lists[1]).toEqual(Array.from({ length: 20 }, (_, i) => `b-${i}`));
});
