import { ApiKey, ErrorCode, ZERO_UUID, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import type { Admin as KafkajsAdmin } from 'kafkajs';
import { RawClient, kafkajs, platformaticAdmin, uniqueTopic } from './admin-support';

const topic = (name: string, init: Partial<ReturnType<typeof createCreateTopicsRequestCreatableTopic>> = {}) =>
  createCreateTopicsRequestCreatableTopic({ name, numPartitions: 1, replicationFactor: 1, ...init });

describe('CreateTopics', () => {
  let broker: TestBroker;
  let admin: KafkajsAdmin;
  let raw: RawClient;
  beforeAll(async () => {
    broker = await createTestBroker({ config: { 'num.partitions': '2' } });
    admin = kafkajs(broker).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    raw.close();
    await admin.disconnect();
    await broker.close();
  });

  const createV7 = (topics: ReturnType<typeof topic>[], validateOnly = false) =>
    raw.send(ApiKey.CreateTopics, 7, createCreateTopicsRequest({ topics, validateOnly }));

  it('creates a topic with kafkajs, with its partitions and config overrides', async () => {
    const name = uniqueTopic();
    const created = await admin.createTopics({
      topics: [{ topic: name, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    expect(created).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [name] });
    expect(meta.topics[0].partitions).toHaveLength(3);
    expect(broker.broker.logs.topic(name)?.configs).toEqual({ 'retention.ms': '3600000' });
  });

  it('uses num.partitions and default.replication.factor when kafkajs sends -1', async () => {
    const name = uniqueTopic();
    await admin.createTopics({ topics: [{ topic: name }] });
    expect(broker.broker.logs.topic(name)?.partitions).toBe(2);
  });

  it('answers TOPIC_ALREADY_EXISTS with Kafka message for an existing topic (kafkajs returns false)', async () => {
    const name = uniqueTopic();
    expect(await admin.createTopics({ topics: [{ topic: name }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: name }] })).toBe(false);
    const res = await createV7([topic(name)]);
    expect(res.topics[0]).toMatchObject({ name, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.`, topicId: ZERO_UUID });
  });

  it('validateOnly checks the request and creates nothing', async () => {
    const name = uniqueTopic();
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: name, numPartitions: 4 }] })).toBe(true);
    expect(broker.broker.logs.topic(name)).toBeUndefined();
    const res = await createV7([topic(name, { numPartitions: 4, configs: [{ name: 'cleanup.policy', value: 'compact' }] })], true);
    expect(res.topics[0]).toMatchObject({ name, errorCode: 0, numPartitions: 4, replicationFactor: 1 });
    expect(res.topics[0].configs).toContainEqual({ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false });
    expect(broker.broker.logs.topic(name)).toBeUndefined();
    const bad = await createV7([topic(name, { replicationFactor: 2 })], true);
    expect(bad.topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
  });

  it('v7 results carry the topic id, partition count, replication factor and every effective config with its source', async () => {
    const name = uniqueTopic();
    const res = await createV7([topic(name, { numPartitions: 2, configs: [{ name: 'retention.ms', value: '1000' }] })]);
    const result = res.topics[0];
    expect(result).toMatchObject({ name, errorCode: 0, errorMessage: null, numPartitions: 2, replicationFactor: 1, topicConfigErrorCode: 0 });
    expect(result.topicId).toBe(broker.broker.logs.topic(name)!.topicId);
    const names = result.configs!.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['cleanup.policy', 'retention.ms', 'segment.bytes', 'max.message.bytes']));
    expect(result.configs).toContainEqual({ name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false });
    expect(result.configs).toContainEqual({ name: 'segment.bytes', value: '1073741824', readOnly: false, configSource: 5, isSensitive: false });
  });

  it('older versions (v0, v4) create topics too, v0 without error messages', async () => {
    const a = uniqueTopic();
    const b = uniqueTopic();
    const v0 = await raw.send(ApiKey.CreateTopics, 0, createCreateTopicsRequest({ topics: [topic(a), topic('bad name')] }));
    expect(v0.topics.map((t) => [t.name, t.errorCode])).toEqual([[a, 0], ['bad name', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
    const v4 = await raw.send(ApiKey.CreateTopics, 4, createCreateTopicsRequest({ topics: [topic(b, { numPartitions: -1, replicationFactor: -1 })] }));
    expect(v4.topics[0]).toMatchObject({ name: b, errorCode: 0, errorMessage: null });
    expect(broker.broker.logs.topic(b)?.partitions).toBe(2);
  });

  it('refuses illegal topic names with INVALID_TOPIC_EXCEPTION and Kafka messages', async () => {
    const long = 'x'.repeat(250);
    const res = await createV7([topic('bad name!'), topic('..'), topic(''), topic(long)]);
    expect(res.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is invalid: 'bad name!' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"],
      [ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is invalid: '..' is not allowed"],
      [ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is invalid: the empty string is not allowed'],
      [ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is invalid: the length of '${long}' is longer than the max allowed length 249`],
    ]);
    await expect(admin.createTopics({ topics: [{ topic: 'no/slashes' }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
    });
  });

  it("refuses a name that collides with an existing one on '.' versus '_'", async () => {
    const base = uniqueTopic('collide');
    expect((await createV7([topic(`${base}.a`)])).topics[0].errorCode).toBe(0);
    const res = await createV7([topic(`${base}_a`)]);
    expect(res.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic '${base}_a' collides with existing topic: ${base}.a` });
  });

  it('refuses bad configs with INVALID_CONFIG and a message, creating nothing', async () => {
    const [unknown, value, nul] = [uniqueTopic(), uniqueTopic(), uniqueTopic()];
    const res = await createV7([
      topic(unknown, { configs: [{ name: 'no.such.config', value: '1' }] }),
      topic(value, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      topic(nul, { configs: [{ name: 'retention.ms', value: null }] }),
    ]);
    expect(res.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.INVALID_CONFIG, 'Unknown topic config name: no.such.config'],
      [ErrorCode.INVALID_CONFIG, expect.stringContaining('Invalid value soon for configuration retention.ms')],
      [ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs: retention.ms'],
    ]);
    for (const n of [unknown, value, nul]) expect(broker.broker.logs.topic(n)).toBeUndefined();
    await expect(admin.createTopics({ topics: [{ topic: uniqueTopic(), configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })],
    });
  });

  it('refuses replication factor 3 on a single broker with Kafka message, through all three clients', async () => {
    const name = uniqueTopic();
    const message = 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.';
    const res = await createV7([topic(name, { replicationFactor: 3 })]);
    expect(res.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: message, numPartitions: -1, replicationFactor: -1 });
    await expect(admin.createTopics({ topics: [{ topic: name, replicationFactor: 3 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
    const plt = platformaticAdmin(broker);
    try {
      await expect(plt.createTopics({ topics: [name], partitions: 1, replicas: 3 })).rejects.toMatchObject({
        response: { topics: [expect.objectContaining({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: message })] },
      });
    } finally {
      await plt.close();
    }
    expect(broker.broker.logs.topic(name)).toBeUndefined();
  });

  it('refuses non-positive counts with the controller messages', async () => {
    const res = await createV7([topic(uniqueTopic(), { numPartitions: 0 }), topic(uniqueTopic(), { replicationFactor: 0 }), topic(uniqueTopic(), { numPartitions: -5 })]);
    expect(res.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
      [ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
      [ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ]);
  });

  it('accepts a manual assignment that names only this node, and refuses others', async () => {
    const node = broker.broker.nodeId;
    const name = uniqueTopic();
    const plt = platformaticAdmin(broker);
    try {
      const [created] = await plt.createTopics({ topics: [name], partitions: -1, replicas: -1, assignments: [{ partition: 0, brokers: [node] }, { partition: 1, brokers: [node] }] });
      expect(created).toMatchObject({ name, partitions: 2, replicas: 1 });
    } finally {
      await plt.close();
    }
    const assign = (...lists: [number, number[]][]) => lists.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds }));
    const res = await createV7([
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: -1, assignments: assign([0, [7]]) }),
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: -1, assignments: assign([0, [node, node]]) }),
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: -1, assignments: assign([0, []]) }),
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: -1, assignments: assign([0, [node]], [0, [node]]) }),
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: -1, assignments: assign([1, [node]]) }),
      topic(uniqueTopic(), { numPartitions: 1, replicationFactor: -1, assignments: assign([0, [node]]) }),
      topic(uniqueTopic(), { numPartitions: -1, replicationFactor: 1, assignments: assign([0, [node]]) }),
    ]);
    expect(res.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${node} more than once.`],
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
      [ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.'],
      [ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.'],
    ]);
  });

  it('answers a name given twice with INVALID_REQUEST and creates neither, still creating the others', async () => {
    const [dup, other] = [uniqueTopic(), uniqueTopic()];
    const res = await createV7([topic(dup), topic(other), topic(dup)]);
    expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      [other, 0, null],
      [dup, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ]);
    expect(broker.broker.logs.topic(dup)).toBeUndefined();
    expect(broker.broker.logs.topic(other)).toBeDefined();
  });

  it('fails a request that would write more than 10000 metadata records, as Kafka does', async () => {
    const name = uniqueTopic();
    const res = await createV7([topic(name, { numPartitions: 10_000 })]);
    expect(res.topics[0]).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Unable to perform excessively large batch operation.' });
    expect(broker.broker.logs.topic(name)).toBeUndefined();
  });
});

describe('CreateTopics with default.replication.factor=3', () => {
  it('cannot place the default replication factor on one broker', async () => {
    const broker = await createTestBroker({ config: { 'default.replication.factor': '3' } });
    const raw = await RawClient.connect(broker.port);
    try {
      const res = await raw.send(ApiKey.CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('t', { numPartitions: 1, replicationFactor: -1 })] }));
      expect(res.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: expect.stringContaining('replication factor of 3') });
    } finally {
      raw.close();
      await broker.close();
    }
  });
});
