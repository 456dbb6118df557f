import { ApiKey, ErrorCode, ZERO_UUID, createDeleteTopicsRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import * as fs from 'node:fs';
import { RawClient, kafkajs, platformaticAdmin, produce, uniqueTopic } from './admin-support';

describe('DeleteTopics', () => {
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
  const create = async (name: string, partitions = 1) => (await broker.broker.logs.createTopic(name, { partitions })).topicId;

  it('deletes a topic with kafkajs: its data is gone and the name can be reused', async () => {
    const name = uniqueTopic();
    await create(name, 2);
    const client = kafkajs(broker);
    await produce(client, name, 1, 3);
    const dir = broker.broker.logs.partitionDir(name, 1);
    expect(fs.existsSync(dir)).toBe(true);
    const admin = client.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [name] });
      expect(broker.broker.logs.topic(name)).toBeUndefined();
      expect(fs.existsSync(dir)).toBe(false);
      expect(await admin.listTopics()).not.toContain(name);
      expect(await admin.createTopics({ topics: [{ topic: name }] })).toBe(true);
      const offsets = await admin.fetchTopicOffsets(name);
      expect(offsets[0]).toMatchObject({ partition: 0, offset: '0', low: '0', high: '0' });
    } finally {
      await admin.disconnect();
    }
  });

  it('deletes topics with @platformatic/kafka (v6, by name)', async () => {
    const [a, b] = [uniqueTopic(), uniqueTopic()];
    await create(a);
    await create(b);
    const admin = platformaticAdmin(broker);
    try {
      await admin.deleteTopics({ topics: [a, b] });
      expect(await admin.listTopics()).not.toEqual(expect.arrayContaining([a]));
    } finally {
      await admin.close();
    }
    expect(broker.broker.logs.topic(a)).toBeUndefined();
    expect(broker.broker.logs.topic(b)).toBeUndefined();
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for an unknown name and still deletes the others', async () => {
    const name = uniqueTopic();
    await create(name);
    const res = await raw.send(ApiKey.DeleteTopics, 5, createDeleteTopicsRequest({ topicNames: [name, 'never-created'] }));
    expect(res.responses).toEqual([
      { name: 'never-created', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
      { name, topicId: ZERO_UUID, errorCode: 0, errorMessage: null }, // v5 has no topicId field
    ]);
    expect(broker.broker.logs.topic(name)).toBeUndefined();
    const admin = kafkajs(broker).admin();
    await admin.connect();
    try {
      // retriable for kafkajs, so it retries, then reports the broker's error
      await expect(admin.deleteTopics({ topics: ['never-created'] })).rejects.toThrow('This server does not host this topic-partition');
    } finally {
      await admin.disconnect();
    }
  });

  it('v6 deletes by topic id and answers UNKNOWN_TOPIC_ID for an unknown id', async () => {
    const name = uniqueTopic();
    const id = await create(name);
    const unknown = '0b1c2d3e-0000-4000-8000-000000000001';
    const res = await raw.send(ApiKey.DeleteTopics, 6, createDeleteTopicsRequest({ topics: [{ name: null, topicId: id }, { name: null, topicId: unknown }] }));
    expect(res.responses).toEqual(
      expect.arrayContaining([
        { name: null, topicId: unknown, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null },
        { name, topicId: id, errorCode: 0, errorMessage: null },
      ]),
    );
    expect(broker.broker.logs.topic(name)).toBeUndefined();
  });

  it('v6 refuses malformed entries with Kafka messages and deletes nothing they name', async () => {
    const [byBoth, dup, mapped] = [uniqueTopic(), uniqueTopic(), uniqueTopic()];
    const idBoth = await create(byBoth);
    await create(dup);
    const idMapped = await create(mapped);
    const res = await raw.send(
      ApiKey.DeleteTopics,
      6,
      createDeleteTopicsRequest({
        topics: [
          { name: null, topicId: ZERO_UUID },
          { name: byBoth, topicId: idBoth },
          { name: dup, topicId: ZERO_UUID },
          { name: dup, topicId: ZERO_UUID },
          { name: null, topicId: idMapped },
          { name: mapped, topicId: ZERO_UUID },
        ],
      }),
    );
    expect(res.responses).toEqual([
      { name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither topic name nor id were specified.' },
      { name: byBoth, topicId: idBoth, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' },
      { name: dup, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' },
      { name: mapped, topicId: idMapped, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' },
    ]);
    for (const n of [byBoth, dup, mapped]) expect(broker.broker.logs.topic(n)).toBeDefined();
  });

  it('deletes internal topics as Kafka brokers do (only Kafka command-line tool refuses them)', async () => {
    if (!broker.broker.logs.topic('__transaction_state')) await create('__transaction_state');
    const res = await raw.send(ApiKey.DeleteTopics, 4, createDeleteTopicsRequest({ topicNames: ['__transaction_state'] }));
    expect(res.responses[0]).toMatchObject({ name: '__transaction_state', errorCode: 0 });
  });
});

describe('DeleteTopics with delete.topic.enable=false', () => {
  it('answers TOPIC_DELETION_DISABLED (v3+) or INVALID_REQUEST (v0-2) and keeps the topic', async () => {
    const broker = await createTestBroker({ config: { 'delete.topic.enable': 'false' } });
    const raw = await RawClient.connect(broker.port);
    try {
      await broker.broker.logs.createTopic('kept', { partitions: 1 });
      const v6 = await raw.send(ApiKey.DeleteTopics, 6, createDeleteTopicsRequest({ topics: [{ name: 'kept', topicId: ZERO_UUID }] }));
      expect(v6.responses).toEqual([{ name: 'kept', topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: null }]);
      const v1 = await raw.send(ApiKey.DeleteTopics, 1, createDeleteTopicsRequest({ topicNames: ['kept'] }));
      expect(v1.responses[0]).toMatchObject({ name: 'kept', errorCode: ErrorCode.INVALID_REQUEST });
      const admin = kafkajs(broker).admin();
      await admin.connect();
      await expect(admin.deleteTopics({ topics: ['kept'] })).rejects.toMatchObject({ type: 'INVALID_REQUEST' }); // kafkajs sends v1
      await admin.disconnect();
      expect(broker.broker.logs.topic('kept')).toBeDefined();
    } finally {
      raw.close();
      await broker.close();
    }
  });
});
