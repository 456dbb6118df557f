import { ApiKey, ErrorCode, createAlterConfigsRequest, createIncrementalAlterConfigsRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import type { Admin as KafkajsAdmin } from 'kafkajs';
import { RawClient, kafkajs, platformaticAdmin, uniqueTopic } from './admin-support';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const [SET, DELETE, APPEND, SUBTRACT] = [0, 1, 2, 3];

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  let broker: TestBroker;
  let admin: KafkajsAdmin;
  let raw: RawClient;
  let node: number;
  beforeAll(async () => {
    broker = await createTestBroker();
    node = broker.broker.nodeId;
    admin = kafkajs(broker).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    raw.close();
    await admin.disconnect();
    await broker.close();
  });
  const newTopic = async (configs: Record<string, string> = {}) => {
    const name = uniqueTopic();
    await broker.broker.logs.createTopic(name, { partitions: 1, configs });
    return name;
  };
  const overrides = (name: string) => broker.broker.logs.topic(name)!.configs;
  const alter = (resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[], validateOnly = false) =>
    raw.send(ApiKey.AlterConfigs, 2, createAlterConfigsRequest({ resources, validateOnly }));
  const incremental = (
    resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[],
    validateOnly = false,
  ) => raw.send(ApiKey.IncrementalAlterConfigs, 1, createIncrementalAlterConfigsRequest({ resources, validateOnly }));

  describe('AlterConfigs', () => {
    it('replaces the whole set of topic overrides (kafkajs), as Kafka does', async () => {
      const name = await newTopic({ 'retention.ms': '1000', 'cleanup.policy': 'compact' });
      await admin.alterConfigs({ resources: [{ type: TOPIC, name, configEntries: [{ name: 'max.message.bytes', value: '5000' }] }] });
      expect(overrides(name)).toEqual({ 'max.message.bytes': '5000' });
      const described = await admin.describeConfigs({ resources: [{ type: TOPIC, name, configNames: ['retention.ms', 'max.message.bytes'] }], includeSynonyms: false });
      expect(described.resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual(
        expect.arrayContaining([
          ['retention.ms', '604800000'],
          ['max.message.bytes', '5000'],
        ]),
      );
    });

    it('applies the new config to the running partition logs', async () => {
      const name = await newTopic();
      const client = kafkajs(broker);
      await admin.alterConfigs({ resources: [{ type: TOPIC, name, configEntries: [{ name: 'max.message.bytes', value: '200' }] }] });
      const producer = client.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await expect(producer.send({ topic: name, acks: -1, messages: [{ value: 'x'.repeat(500) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
        await producer.send({ topic: name, acks: -1, messages: [{ value: 'small' }] });
      } finally {
        await producer.disconnect();
      }
    });

    it('validateOnly checks and changes nothing; bad values are INVALID_CONFIG', async () => {
      const name = await newTopic({ 'retention.ms': '1000' });
      const ok = await alter([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', value: '2000' }] }], true);
      expect(ok.responses[0]).toMatchObject({ errorCode: 0, errorMessage: null });
      expect(overrides(name)).toEqual({ 'retention.ms': '1000' });
      const bad = await alter([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', value: 'soon' }] }]);
      expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining('retention.ms') });
      expect(overrides(name)).toEqual({ 'retention.ms': '1000' });
    });

    it('answers an unknown topic with Kafka message', async () => {
      const res = await alter([{ resourceType: TOPIC, resourceName: 'never-created', configs: [] }]);
      expect(res.responses[0]).toEqual({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "The topic 'never-created' does not exist.", resourceType: TOPIC, resourceName: 'never-created' });
    });

    it('refuses broker changes as Kafka refuses static settings, instead of pretending success', async () => {
      const res = await alter([
        { resourceType: BROKER, resourceName: String(node), configs: [{ name: 'log.retention.ms', value: '1000' }, { name: 'num.partitions', value: '3' }] },
        { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '1000' }] },
        { resourceType: BROKER, resourceName: String(node + 1), configs: [{ name: 'log.retention.ms', value: '1000' }] },
        { resourceType: BROKER, resourceName: 'abc', configs: [] },
        { resourceType: BROKER_LOGGER, resourceName: String(node), configs: [] },
      ]);
      expect(res.responses.map((r) => [r.errorCode, r.errorMessage])).toEqual([
        [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.retention.ms, num.partitions)'],
        [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.retention.ms)'],
        [ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${node}, but received ${node + 1}`],
        [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: abc'],
        [ErrorCode.INVALID_REQUEST, 'Unknown resource type 8'],
      ]);
      await expect(admin.alterConfigs({ resources: [{ type: BROKER, name: String(node), configEntries: [{ name: 'num.partitions', value: '3' }] }] })).rejects.toMatchObject({
        type: 'INVALID_REQUEST',
      });
      expect(broker.broker.config.int('num.partitions')).toBe(1);
    });

    it('refuses duplicate resources, duplicate keys and null values with Kafka messages', async () => {
      const [a, b] = [await newTopic(), await newTopic()];
      const res = await alter([
        { resourceType: TOPIC, resourceName: a, configs: [{ name: 'retention.ms', value: '1' }] },
        { resourceType: TOPIC, resourceName: a, configs: [{ name: 'retention.ms', value: '2' }] },
        { resourceType: TOPIC, resourceName: b, configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] },
        { resourceType: TOPIC, resourceName: uniqueTopic(), configs: [{ name: 'retention.ms', value: null }, { name: 'segment.ms', value: null }] },
      ]);
      expect(res.responses.map((r) => [r.errorCode, r.errorMessage])).toEqual([
        [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
        [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
        [ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
        [ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms, segment.ms'],
      ]);
      expect(overrides(a)).toEqual({});
    });

    it('serves @platformatic/kafka (v2)', async () => {
      const name = await newTopic();
      const plt = platformaticAdmin(broker);
      try {
        await plt.alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configs: [{ name: 'segment.ms', value: '60000' }] }] });
      } finally {
        await plt.close();
      }
      expect(overrides(name)).toEqual({ 'segment.ms': '60000' });
    });
  });

  describe('IncrementalAlterConfigs', () => {
    it('SETs and DELETEs topic overrides (@platformatic/kafka v1)', async () => {
      const name = await newTopic({ 'segment.ms': '60000' });
      const plt = platformaticAdmin(broker);
      try {
        await plt.incrementalAlterConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: name,
              configs: [
                { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '5000' },
                { name: 'segment.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
              ],
            },
          ],
        });
      } finally {
        await plt.close();
      }
      expect(overrides(name)).toEqual({ 'retention.ms': '5000' });
    });

    it('APPENDs to and SUBTRACTs from list configs (cleanup.policy), starting from the effective value', async () => {
      const name = await newTopic();
      const first = await incremental([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }] }]);
      expect(first.responses[0]).toMatchObject({ errorCode: 0 });
      expect(overrides(name)).toEqual({ 'cleanup.policy': 'delete,compact' });
      await incremental([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }] }]);
      expect(overrides(name)).toEqual({ 'cleanup.policy': 'delete,compact' });
      await incremental([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }] }]);
      expect(overrides(name)).toEqual({ 'cleanup.policy': 'compact' });
      expect(broker.broker.logs.log(name, 0)!.config).toMatchObject({ compactEnabled: true, deleteEnabled: false });
    });

    it('refuses APPEND/SUBTRACT on non-list configs with INVALID_CONFIG and changes nothing', async () => {
      const name = await newTopic({ 'retention.ms': '1000' });
      const res = await incremental([
        {
          resourceType: TOPIC,
          resourceName: name,
          configs: [
            { name: 'segment.ms', configOperation: SET, value: '1000' },
            { name: 'retention.ms', configOperation: APPEND, value: '5' },
          ],
        },
      ]);
      expect(res.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "Can't APPEND to key retention.ms because its type is not LIST." });
      const sub = await incremental([{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'max.message.bytes', configOperation: SUBTRACT, value: '5' }] }]);
      expect(sub.responses[0].errorMessage).toBe("Can't SUBTRACT to key max.message.bytes because its type is not LIST.");
      expect(overrides(name)).toEqual({ 'retention.ms': '1000' });
    });

    it('validateOnly checks and changes nothing (v0)', async () => {
      const name = await newTopic();
      const res = await raw.send(
        ApiKey.IncrementalAlterConfigs,
        0,
        createIncrementalAlterConfigsRequest({ validateOnly: true, resources: [{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', configOperation: SET, value: '10' }] }] }),
      );
      expect(res.responses[0]).toMatchObject({ errorCode: 0, resourceName: name });
      expect(overrides(name)).toEqual({});
    });

    it('refuses null values except for DELETE, unknown operations, and unknown topics', async () => {
      const name = await newTopic({ 'retention.ms': '1000' });
      const res = await incremental([
        {
          resourceType: TOPIC,
          resourceName: name,
          configs: [
            { name: 'retention.ms', configOperation: DELETE, value: null },
            { name: 'segment.ms', configOperation: SET, value: null },
          ],
        },
        { resourceType: TOPIC, resourceName: uniqueTopic(), configs: [{ name: 'segment.ms', configOperation: 9, value: '1' }] },
        { resourceType: TOPIC, resourceName: 'never-created', configs: [{ name: 'segment.ms', configOperation: SET, value: '1' }] },
      ]);
      expect(res.responses.map((r) => [r.errorCode, r.errorMessage])).toEqual([
        [ErrorCode.INVALID_REQUEST, 'Null value not supported for : segment.ms'],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, expect.stringContaining('does not exist')],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'never-created' does not exist."],
      ]);
      expect(overrides(name)).toEqual({ 'retention.ms': '1000' });
      const existing = await newTopic();
      const op = await incremental([{ resourceType: TOPIC, resourceName: existing, configs: [{ name: 'segment.ms', configOperation: 9, value: '1' }] }]);
      expect(op.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown operations type 9' });
    });

    it('refuses broker setting changes (all static) and logger changes (no loggers), with Kafka answers', async () => {
      // One request each: a resource may appear only once per request.
      const resources = [
        { resourceType: BROKER, resourceName: String(node), configs: [{ name: 'num.partitions', configOperation: SET, value: '3' }] },
        { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }] },
        { resourceType: BROKER, resourceName: String(node), configs: [{ name: 'message.max.bytes', configOperation: APPEND, value: '3' }] },
        { resourceType: BROKER_LOGGER, resourceName: String(node), configs: [{ name: 'root', configOperation: SET, value: 'DEBUG' }] },
        { resourceType: BROKER_LOGGER, resourceName: String(node), configs: [{ name: 'root', configOperation: APPEND, value: 'DEBUG' }] },
        { resourceType: BROKER_LOGGER, resourceName: String(node + 1), configs: [] },
      ];
      const answers = [];
      for (const r of resources) answers.push((await incremental([r])).responses[0]);
      expect(answers.map((r) => [r.resourceType, r.errorCode, r.errorMessage])).toEqual([
        [BROKER, ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(num.partitions)'],
        [BROKER, 0, null],
        [BROKER, ErrorCode.INVALID_CONFIG, 'Config value append is not allowed for config key: message.max.bytes'],
        [BROKER_LOGGER, ErrorCode.INVALID_CONFIG, 'Logger root does not exist!'],
        [BROKER_LOGGER, ErrorCode.INVALID_REQUEST, 'APPEND operation is not allowed for the BROKER_LOGGER resource'],
        [BROKER_LOGGER, ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${node}, but received ${node + 1}`],
      ]);
    });
  });
});
