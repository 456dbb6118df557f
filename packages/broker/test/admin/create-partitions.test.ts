import { ApiKey, ErrorCode, createCreatePartitionsRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { RawClient, kafkajs, platformaticAdmin, produce, uniqueTopic } from './admin-support';

describe('CreatePartitions', () => {
  let broker: TestBroker;
  let raw: RawClient;
  beforeAll(async () => {
    broker = await createTestBroker();
    raw = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    raw.close();
    await broker.close();
  });
  const create = (name: string, partitions: number) => broker.broker.logs.createTopic(name, { partitions });
  const partitionsOf = (name: string) => broker.broker.logs.topic(name)?.partitions;

  it('adds partitions with kafkajs, and the new partitions take records', async () => {
    const name = uniqueTopic();
    await create(name, 1);
    const client = kafkajs(broker);
    const admin = client.admin();
    await admin.connect();
    try {
      await admin.createPartitions({ topicPartitions: [{ topic: name, count: 3 }] });
      expect(partitionsOf(name)).toBe(3);
      await produce(client, name, 2, 2);
      const offsets = await admin.fetchTopicOffsets(name);
      expect(offsets.find((o) => o.partition === 2)).toMatchObject({ high: '2' });
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses fewer or equal partitions with Kafka messages (kafkajs and raw v3)', async () => {
    const name = uniqueTopic();
    await create(name, 3);
    const admin = kafkajs(broker).admin();
    await admin.connect();
    try {
      await expect(admin.createPartitions({ topicPartitions: [{ topic: name, count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
    } finally {
      await admin.disconnect();
    }
    const res = await raw.send(ApiKey.CreatePartitions, 3, createCreatePartitionsRequest({ topics: [{ name, count: 2, assignments: null }, { name: `${name}-x`, count: 2, assignments: null }] }));
    expect(res.results).toEqual([
      { name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `The topic ${name} currently has 3 partition(s); 2 would not be an increase.` },
      { name: `${name}-x`, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
    ]);
    const same = await raw.send(ApiKey.CreatePartitions, 0, createCreatePartitionsRequest({ topics: [{ name, count: 3, assignments: null }] }));
    expect(same.results).toEqual([{ name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' }]);
    expect(partitionsOf(name)).toBe(3);
  });

  it('returns a result for every topic, including successes, duplicates and unknown topics', async () => {
    const [a, b, dup] = [uniqueTopic(), uniqueTopic(), uniqueTopic()];
    await create(a, 1);
    await create(b, 1);
    await create(dup, 1);
    const res = await raw.send(
      ApiKey.CreatePartitions,
      2,
      createCreatePartitionsRequest({
        topics: [
          { name: a, count: 2, assignments: null },
          { name: dup, count: 2, assignments: null },
          { name: 'missing-topic', count: 2, assignments: null },
          { name: dup, count: 3, assignments: null },
          { name: b, count: 4, assignments: null },
        ],
      }),
    );
    expect(res.results).toEqual([
      { name: a, errorCode: 0, errorMessage: null },
      { name: dup, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
      { name: 'missing-topic', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
      { name: b, errorCode: 0, errorMessage: null },
    ]);
    expect([partitionsOf(a), partitionsOf(b), partitionsOf(dup)]).toEqual([2, 4, 1]);
  });

  it('validateOnly checks and adds nothing (platformatic v3)', async () => {
    const name = uniqueTopic();
    await create(name, 1);
    const admin = platformaticAdmin(broker);
    try {
      await admin.createPartitions({ topics: [{ name, count: 5 }], validateOnly: true });
      expect(partitionsOf(name)).toBe(1);
      await admin.createPartitions({ topics: [{ name, count: 2 }] });
      expect(partitionsOf(name)).toBe(2);
    } finally {
      await admin.close();
    }
  });

  it('checks assignments: one per new partition, each naming only this node', async () => {
    const node = broker.broker.nodeId;
    const name = uniqueTopic();
    await create(name, 1);
    const send = (count: number, lists: number[][]) =>
      raw.send(ApiKey.CreatePartitions, 3, createCreatePartitionsRequest({ topics: [{ name, count, assignments: lists.map((brokerIds) => ({ brokerIds })) }] }));
    expect((await send(3, [[node]])).results[0]).toEqual({
      name,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
    });
    expect((await send(2, [[node + 1]])).results[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: `The manual partition assignment includes broker ${node + 1}, but no such broker is registered.`,
    });
    expect(partitionsOf(name)).toBe(1);
    expect((await send(3, [[node], [node]])).results[0]).toEqual({ name, errorCode: 0, errorMessage: null });
    expect(partitionsOf(name)).toBe(3);
  });
});
