// Child process of platformatic.test.ts: drives @platformatic/kafka (an ESM-only package Jest cannot load) against
// a broker the test started, and prints one line "RESULT <json>" (bigints as strings, bytes as UTF-8).
//
//   node --import tsx platformatic-child.mts <bootstrap> <scenario> '<json params>'
//
// Scenarios:
//   produce-fetch  Producer sends keyed records with headers to several partitions (optionally compressed); a
//                  Consumer (no group) reads metadata, ListOffsets (earliest, latest, by timestamp) and fetches every
//                  partition with Consumer.fetch, and long-polls once at the end of a partition.
//   group          A group Consumer consumes `expect` messages (mode 'earliest' or 'committed') and commits each;
//                  reports what it received and the committed offsets.
import { Consumer, Producer, stringSerializers } from '@platformatic/kafka';

type Params = Record<string, unknown>;

const [bootstrap, scenario, json] = process.argv.slice(2);
const params: Params = JSON.parse(json ?? '{}');

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(toJson(k)), toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

async function produceFetch(p: Params) {
  const { topic, partitions, count, compression } = p as { topic: string; partitions: number; count: number; compression: string };
  const producer = new Producer({ clientId: 'platformatic-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, retries: 2 });
  const messages = Array.from({ length: count }, (_, i) => ({
    topic,
    partition: i % partitions,
    key: `key-${i}`,
    value: `value-${i}-${'x'.repeat(i % 7)}`,
    headers: { 'h-index': String(i), 'h-source': 'platformatic' },
    timestamp: BigInt(1_700_000_000_000 + i),
  }));
  // two sends: one with every message, then one more per partition, so the second batch starts at a later offset
  const first = await producer.send({ messages, acks: -1, compression: compression as never });
  const second = await producer.send({
    messages: Array.from({ length: partitions }, (_, partition) => ({ topic, partition, key: `late-${partition}`, value: `late-value-${partition}`, timestamp: BigInt(1_700_000_100_000 + partition) })),
    acks: 1,
    compression: compression as never,
  });
  await producer.close();

  const consumer = new Consumer({ groupId: 'platformatic-unused', clientId: 'platformatic-reader', bootstrapBrokers: [bootstrap], retries: 2 });
  const metadata = await consumer.metadata({ topics: [topic] });
  const t = metadata.topics.get(topic)!;
  const latest = await consumer.listOffsets({ topics: [topic] });
  const earliest = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
  const byTimestamp = await consumer.listOffsetsWithTimestamps({ topics: [topic], timestamp: 1_700_000_000_003n });
  const fetched: Record<number, unknown[]> = {};
  const batches: Record<number, unknown[]> = {};
  for (let partition = 0; partition < partitions; partition++) {
    const res = await consumer.fetch({
      node: t.partitions[partition].leader,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 10 * 1024 * 1024,
      topics: [{ topicId: t.id, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
    });
    const part = res.responses[0].partitions[0];
    if (part.errorCode !== 0) throw new Error(`fetch of partition ${partition}: error ${part.errorCode}`);
    fetched[partition] = [];
    batches[partition] = [];
    for (const batch of part.records ?? []) {
      batches[partition].push({ firstOffset: batch.firstOffset, attributes: batch.attributes, count: batch.records.length, magic: batch.magic });
      for (const r of batch.records) {
        fetched[partition].push({
          offset: batch.firstOffset + BigInt(r.offsetDelta),
          timestamp: batch.firstTimestamp + r.timestampDelta,
          key: r.key,
          value: r.value,
          headers: r.headers.map(([k, v]) => [k?.toString() ?? null, v?.toString() ?? null]),
        });
      }
    }
  }
  // a long-poll at the end of partition 0: nothing arrives, so it waits MaxWaitMs and answers empty
  const started = Date.now();
  const end = await consumer.fetch({
    node: t.partitions[0].leader,
    maxWaitTime: 400,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    topics: [{ topicId: t.id, partitions: [{ partition: 0, fetchOffset: latest.get(topic)![0], partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
  });
  const longPollMs = Date.now() - started;
  await consumer.close();
  return {
    produced: first.offsets,
    producedLate: second.offsets,
    topicId: t.id,
    partitionsCount: t.partitionsCount,
    leaders: t.partitions.map((x) => x.leader),
    latest: latest.get(topic),
    earliest: earliest.get(topic),
    byTimestamp: byTimestamp.get(topic),
    fetched,
    batches,
    longPoll: { ms: longPollMs, errorCode: end.responses[0].partitions[0].errorCode, batches: end.responses[0].partitions[0].records?.length ?? 0 },
  };
}

async function group(p: Params) {
  const { topic, groupId, expect: expected, timeoutMs, mode, partitions } = p as {
    topic: string;
    groupId: string;
    expect: number;
    timeoutMs?: number;
    mode?: 'earliest' | 'committed';
    partitions?: number;
  };
  const consumer = new Consumer({
    groupId,
    clientId: 'platformatic-group',
    bootstrapBrokers: [bootstrap],
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    retries: 3,
  });
  const stream = await consumer.consume({ topics: [topic], mode: mode ?? 'earliest', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 200 });
  const received: unknown[] = [];
  const deadline = setTimeout(() => stream.destroy(new Error(`received ${received.length} of ${expected} messages`)), timeoutMs ?? 20_000);
  for await (const message of stream) {
    received.push({ partition: message.partition, offset: message.offset, key: message.key, value: message.value });
    await message.commit();
    if (received.length >= expected) break;
  }
  clearTimeout(deadline);
  const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: Array.from({ length: partitions ?? 1 }, (_, i) => i) }] });
  await stream.close();
  await consumer.close();
  return { received, committed, memberId: consumer.memberId, generationId: consumer.generationId };
}

const scenarios: Record<string, (p: Params) => Promise<unknown>> = { 'produce-fetch': produceFetch, group };

scenarios[scenario](params).then(
  (result) => {
    process.stdout.write(`RESULT ${JSON.stringify(toJson(result))}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (err && typeof err === 'object' && 'errors' in err) process.stderr.write(`${JSON.stringify(toJson((err as { errors: unknown }).errors))}\n`);
    process.exit(1);
  },
);
