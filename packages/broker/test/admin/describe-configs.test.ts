import { ApiKey, ErrorCode, createDescribeConfigsRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { ConfigResourceTypes } from '@platformatic/kafka';
import type { Admin as KafkajsAdmin } from 'kafkajs';
import { RawClient, kafkajs, platformaticAdmin, uniqueTopic } from './admin-support';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const SOURCE = { TOPIC: 1, STATIC_BROKER: 4, DEFAULT: 5 };

describe('DescribeConfigs', () => {
  let broker: TestBroker;
  let admin: KafkajsAdmin;
  let raw: RawClient;
  let topic: string;
  beforeAll(async () => {
    broker = await createTestBroker({ config: { 'log.retention.hours': '24', 'custom.secret.thing': 'hunter2' } });
    admin = kafkajs(broker).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
    topic = uniqueTopic();
    await broker.broker.logs.createTopic(topic, { partitions: 1, configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000' } });
  });
  afterAll(async () => {
    raw.close();
    await admin.disconnect();
    await broker.close();
  });
  const describeV4 = (resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[], includeSynonyms = false, includeDocumentation = false) =>
    raw.send(ApiKey.DescribeConfigs, 4, createDescribeConfigsRequest({ resources, includeSynonyms, includeDocumentation }));

  it('lists every topic config with values and sources through kafkajs, synonyms when asked', async () => {
    const res = await admin.describeConfigs({ resources: [{ type: TOPIC, name: topic }], includeSynonyms: true });
    const entries = res.resources[0].configEntries;
    const byName = new Map(entries.map((e) => [e.configName, e]));
    expect(entries.length).toBeGreaterThanOrEqual(24);
    expect(byName.get('cleanup.policy')).toMatchObject({ configValue: 'compact', readOnly: false, isDefault: false, configSource: SOURCE.TOPIC, isSensitive: false });
    expect(byName.get('cleanup.policy')!.configSynonyms).toEqual([
      { configName: 'cleanup.policy', configValue: 'compact', configSource: SOURCE.TOPIC },
      { configName: 'log.cleanup.policy', configValue: 'delete', configSource: SOURCE.DEFAULT },
    ]);
    expect(byName.get('retention.ms')).toMatchObject({ configValue: '86400000', configSource: SOURCE.STATIC_BROKER });
    expect(byName.get('segment.bytes')).toMatchObject({ configValue: '1073741824', configSource: SOURCE.DEFAULT });
  });

  it('filters by configurationKeys (null or empty = all; unknown keys are left out)', async () => {
    const res = await describeV4([
      { resourceType: TOPIC, resourceName: topic, configurationKeys: ['max.message.bytes', 'no.such.key'] },
      { resourceType: TOPIC, resourceName: topic, configurationKeys: [] },
      { resourceType: TOPIC, resourceName: topic, configurationKeys: null },
    ]);
    expect(res.results[0].configs.map((c) => [c.name, c.value])).toEqual([['max.message.bytes', '2000']]);
    expect(res.results[1].configs.length).toBe(res.results[2].configs.length);
    expect(res.results[2].configs.length).toBeGreaterThanOrEqual(24);
  });

  it('v3+ reports the config type and, only when asked, documentation and synonyms', async () => {
    const keys = ['retention.ms', 'cleanup.policy', 'preallocate', 'min.cleanable.dirty.ratio', 'compression.type', 'index.interval.bytes'];
    const plain = await describeV4([{ resourceType: TOPIC, resourceName: topic, configurationKeys: keys }]);
    expect(plain.results[0].configs.every((c) => c.documentation === null && c.synonyms.length === 0)).toBe(true);
    const full = await describeV4([{ resourceType: TOPIC, resourceName: topic, configurationKeys: keys }], true, true);
    const types = Object.fromEntries(full.results[0].configs.map((c) => [c.name, c.configType]));
    expect(types).toEqual({ 'retention.ms': 5, 'cleanup.policy': 7, preallocate: 1, 'min.cleanable.dirty.ratio': 6, 'compression.type': 2, 'index.interval.bytes': 3 });
    expect(full.results[0].configs.every((c) => typeof c.documentation === 'string' && c.documentation.length > 0)).toBe(true);
    const retention = full.results[0].configs.find((c) => c.name === 'retention.ms')!;
    expect(retention.synonyms[0]).toMatchObject({ name: 'log.retention.hours', source: SOURCE.STATIC_BROKER });
  });

  it('v0 reports isDefault', async () => {
    const res = await raw.send(ApiKey.DescribeConfigs, 0, createDescribeConfigsRequest({ resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: ['cleanup.policy', 'segment.ms'] }] }));
    expect(res.results[0].configs.map((c) => [c.name, c.isDefault])).toEqual([
      ['cleanup.policy', false],
      ['segment.ms', true],
    ]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for an unknown topic and INVALID_TOPIC_EXCEPTION for an illegal name', async () => {
    const res = await describeV4([
      { resourceType: TOPIC, resourceName: 'never-created', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'bad name', configurationKeys: null },
    ]);
    expect(res.results.map((r) => [r.errorCode, r.errorMessage, r.configs.length])).toEqual([
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null, 0],
      [ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'", 0],
    ]);
    await expect(admin.describeConfigs({ resources: [{ type: TOPIC, name: 'never-created' }], includeSynonyms: false })).rejects.toThrow();
  });

  it('describes the broker by node id: every setting, read-only, with sources; unknown keys hidden as sensitive', async () => {
    const node = String(broker.broker.nodeId);
    const res = await admin.describeConfigs({ resources: [{ type: BROKER, name: node }], includeSynonyms: true });
    const byName = new Map(res.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(byName.get('num.partitions')).toMatchObject({ configValue: '1', readOnly: true, configSource: SOURCE.DEFAULT, isSensitive: false });
    expect(byName.get('log.dirs')).toMatchObject({ configValue: broker.dataDir, readOnly: true, configSource: SOURCE.STATIC_BROKER });
    expect(byName.get('node.id')).toMatchObject({ configValue: node });
    expect(byName.get('custom.secret.thing')).toMatchObject({ configValue: null, isSensitive: true, configSource: SOURCE.STATIC_BROKER });
    // Kafka's synonym group log.retention.{ms,minutes,hours}: the entry and its lower-precedence synonyms.
    expect(byName.get('log.retention.hours')!.configSynonyms).toEqual([
      { configName: 'log.retention.hours', configValue: '24', configSource: SOURCE.STATIC_BROKER },
      { configName: 'log.retention.hours', configValue: '168', configSource: SOURCE.DEFAULT },
    ]);
    expect(byName.get('log.retention.ms')).toMatchObject({ configValue: null, configSource: SOURCE.DEFAULT, configSynonyms: [] });
    // Broker-level defaults of topic configs that the log layer reads are known settings too.
    expect(byName.get('log.segment.delete.delay.ms')).toMatchObject({ configValue: '60000', configSource: SOURCE.DEFAULT });
  });

  it('refuses another broker id, answers the cluster default resource with no dynamic defaults, and describes no loggers', async () => {
    const node = broker.broker.nodeId;
    const res = await describeV4([
      { resourceType: BROKER, resourceName: String(node + 1), configurationKeys: null },
      { resourceType: BROKER, resourceName: 'abc', configurationKeys: null },
      { resourceType: BROKER, resourceName: '', configurationKeys: null },
      { resourceType: BROKER_LOGGER, resourceName: String(node), configurationKeys: null },
      { resourceType: BROKER_LOGGER, resourceName: '', configurationKeys: null },
      { resourceType: BROKER_LOGGER, resourceName: String(node + 1), configurationKeys: null },
      { resourceType: 32, resourceName: 'some-group', configurationKeys: null },
    ]);
    expect(res.results.map((r) => [r.errorCode, r.errorMessage, r.configs.length])).toEqual([
      [ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${node} or empty string, but received ${node + 1}`, 0],
      [ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: abc', 0],
      [0, null, 0],
      [0, null, 0],
      [ErrorCode.INVALID_REQUEST, 'Broker id must not be empty', 0],
      [ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${node} but received ${node + 1}`, 0],
      [ErrorCode.INVALID_REQUEST, 'Unsupported resource type: GROUP', 0],
    ]);
  });

  it('fails every resource of a request naming a resource type Kafka does not know', async () => {
    const res = await describeV4([
      { resourceType: TOPIC, resourceName: topic, configurationKeys: null },
      { resourceType: 99, resourceName: 'x', configurationKeys: null },
    ]);
    expect(res.results.map((r) => [r.resourceType, r.errorCode, r.configs.length])).toEqual([
      [TOPIC, ErrorCode.INVALID_REQUEST, 0],
      [99, ErrorCode.INVALID_REQUEST, 0],
    ]);
  });

  it('serves @platformatic/kafka (v4) with documentation', async () => {
    const plt = platformaticAdmin(broker);
    try {
      const [described] = await plt.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['max.message.bytes'] }],
        includeDocumentation: true,
      });
      expect(described.configs).toEqual([
        expect.objectContaining({ name: 'max.message.bytes', value: '2000', configSource: SOURCE.TOPIC, configType: 3, documentation: expect.any(String) }),
      ]);
    } finally {
      await plt.close();
    }
  });
});
