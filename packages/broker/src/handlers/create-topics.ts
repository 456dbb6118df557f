// CreateTopics (key 19), v0-v7. Checks in the order of Kafka's KRaft controller, with its codes and messages: the
// name (INVALID_TOPIC_EXCEPTION, also for a name colliding with an existing one on '.' vs '_'), existence
// (TOPIC_ALREADY_EXISTS), the configs (INVALID_CONFIG), then either a manual assignment (numPartitions and
// replicationFactor must be -1; every replica list must be exactly [this node]) or the counts: -1 takes
// num.partitions / default.replication.factor, and a replication factor above 1 cannot be placed on one broker
// (INVALID_REPLICATION_FACTOR). A name given twice is answered INVALID_REQUEST "Duplicate topic name." and not created.
// validateOnly (v1+) runs every check and creates nothing. v5+ results carry the partition count, replication
// factor and every effective config with its source; v7 the topic id. Error messages are sent from v1.
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  ZERO_UUID,
  type CreateTopicsRequest,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
} from '@tributary/protocol';
import type { Broker } from '../broker';
import { LogError, resolveTopicConfig, validateOverrides, validateTopicName, type TopicInfo } from '../log';
import { configSourceId } from './config-resources';
import { MAX_RECORDS_PER_USER_OP, batchTooLarge, checkManualAssignment, replicationFactorError } from './topic-admin';
import { defineHandler } from './handler';

type Result = CreateTopicsResponseCreatableTopicResult;

export const createTopics = defineHandler<CreateTopicsRequest, CreateTopicsResponse>(ApiKey.CreateTopics, { min: 0, max: 7 }, async (req, ctx) => {
  const { broker } = ctx;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const unique = req.topics.filter((t) => counts.get(t.name) === 1);
  const results: Result[] = [];

  const planned: { topic: CreateTopicsRequestCreatableTopic; plan: Plan }[] = [];
  for (const topic of unique) {
    try {
      planned.push({ topic, plan: plan(broker, topic) });
    } catch (err) {
      results.push(failed(topic.name, err));
    }
  }
  // Kafka's controller writes one metadata record per topic, config and partition, at most 10000 per request;
  // past that the whole request fails.
  const records = planned.reduce((n, { plan: p }) => n + 1 + Object.keys(p.configs).length + p.partitions, 0);
  if (records > MAX_RECORDS_PER_USER_OP) {
    const err = batchTooLarge();
    return { throttleTimeMs: 0, topics: req.topics.map((t) => failure(t.name, err.code, err.message)) };
  }
  for (const { topic, plan: p } of planned) {
    try {
      const created = await broker.logs.createTopic(topic.name, { partitions: p.partitions, configs: p.configs, validateOnly: req.validateOnly });
      if (!req.validateOnly) broker.logger.info({ topic: created.name, partitions: created.partitions, topicId: created.topicId }, 'created topic');
      results.push(succeeded(broker, created));
    } catch (err) {
      results.push(failed(topic.name, err));
    }
  }
  for (const [name, n] of counts) if (n > 1) results.push(failure(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));

  // Kafka answers in request order for the topics it considered, duplicates last.
  const order = new Map(unique.map((t, i) => [t.name, i]));
  results.sort((a, b) => (order.get(a.name) ?? Infinity) - (order.get(b.name) ?? Infinity));
  return { throttleTimeMs: 0, topics: results };
});

interface Plan {
  partitions: number;
  configs: Record<string, string>;
}

/** Validates one topic as Kafka's controller does and returns what to create; throws a Kafka error. */
function plan(broker: Broker, topic: CreateTopicsRequestCreatableTopic): Plan {
  const { name } = topic;
  validateTopicName(name);
  const collision = collidingTopic(broker, name);
  if (collision) throw new LogError('INVALID_TOPIC_EXCEPTION', `Topic '${name}' collides with existing topic: ${collision}`);
  if (broker.logs.topic(name)) throw new LogError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);

  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length) throw new LogError('INVALID_CONFIG', `Null value not supported for topic configs: ${nulls.join(',')}`);
  const configs: Record<string, string> = {};
  for (const c of topic.configs) configs[c.name] = c.value!;
  validateOverrides(configs);

  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1) {
      throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
    }
    if (topic.numPartitions !== -1) {
      throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
    }
    const seen = new Set<number>();
    for (const a of topic.assignments) {
      if (seen.has(a.partitionIndex)) {
        throw new KafkaProtocolError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
      }
      seen.add(a.partitionIndex);
      checkManualAssignment(a.brokerIds, broker.nodeId, 1);
    }
    for (let i = 0; i < seen.size; i++) {
      if (!seen.has(i)) throw new KafkaProtocolError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
    }
    return { partitions: seen.size, configs };
  }
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
    throw new KafkaProtocolError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
  }
  if (topic.numPartitions < -1 || topic.numPartitions === 0) {
    throw new KafkaProtocolError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  }
  const partitions = topic.numPartitions === -1 ? broker.config.int('num.partitions') : topic.numPartitions;
  const replicationFactor = topic.replicationFactor === -1 ? broker.config.int('default.replication.factor') : topic.replicationFactor;
  const rfError = replicationFactorError(replicationFactor);
  if (rfError) throw rfError;
  return { partitions, configs };
}

/** Kafka refuses a name that differs from an existing one only by '.' vs '_' (they collide in metric names). */
function collidingTopic(broker: Broker, name: string): string | undefined {
  if (!/[._]/.test(name)) return undefined;
  const unified = name.replace(/\./g, '_');
  return broker.logs.topics().find((t) => t.name !== name && t.name.replace(/\./g, '_') === unified)?.name;
}

function succeeded(broker: Broker, t: TopicInfo): Result {
  const configs = [...resolveTopicConfig(t.configs, broker.logs.brokerConfig).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({ name: c.name, value: c.sensitive ? null : c.value, readOnly: c.readOnly, configSource: configSourceId(c.source), isSensitive: c.sensitive }));
  return {
    name: t.name,
    topicId: t.topicId,
    errorCode: 0,
    errorMessage: null,
    topicConfigErrorCode: 0,
    numPartitions: t.partitions,
    replicationFactor: 1,
    configs,
  };
}

function failed(name: string, err: unknown): Result {
  if (err instanceof KafkaProtocolError) return failure(name, err.code, err.message);
  throw err;
}

function failure(name: string, errorCode: number, errorMessage: string | null): Result {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
}
