// Metadata (key 3), v0-v12. One broker leads every partition (leader epoch 0, replicas = ISR = [this node]).
// Topics are returned with their ids (v10+). A request for all topics is `topics: null` (v1+) or an empty
// list at v0. An unknown topic requested by name is created when the request allows it (always below v4,
// `allowAutoTopicCreation` from v4) and `auto.create.topics.enable` is on, with `num.partitions` partitions;
// otherwise it is reported as UNKNOWN_TOPIC_OR_PARTITION (or UNKNOWN_TOPIC_ID when asked for by id).
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  ZERO_UUID,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '@tributary/protocol';
import type { Broker } from '../broker';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  CLUSTER_AUTHORIZED_OPERATIONS,
  INTERNAL_TOPICS,
  TOPIC_AUTHORIZED_OPERATIONS,
} from '../domain/topics';
import type { TopicInfo } from '../log/log-manager';
import { defineHandler } from './handler';

export const metadata = defineHandler<MetadataRequest, MetadataResponse>(ApiKey.Metadata, { min: 0, max: 12 }, async (req, ctx) => {
  const { broker, apiVersion } = ctx;
  const withOps = req.includeTopicAuthorizedOperations;
  const describe = (t: TopicInfo) => describeTopic(broker, t, withOps);
  let topics: MetadataResponseTopic[];
  if (req.topics === null || (apiVersion === 0 && req.topics.length === 0)) {
    topics = broker.logs.topics().map(describe);
  } else {
    const allowCreate = (apiVersion < 4 || req.allowAutoTopicCreation) && broker.config.bool('auto.create.topics.enable');
    topics = [];
    for (const wanted of req.topics) {
      if (wanted.name === null || wanted.name === '') {
        const t = wanted.topicId !== ZERO_UUID ? broker.logs.topicById(wanted.topicId) : undefined;
        topics.push(t ? describe(t) : missing(null, wanted.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
        continue;
      }
      const existing = broker.logs.topic(wanted.name);
      if (existing) topics.push(describe(existing));
      else if (allowCreate && !INTERNAL_TOPICS.has(wanted.name)) topics.push(await autoCreate(broker, wanted.name, withOps));
      else topics.push(missing(wanted.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    }
  }
  const { host, port } = broker.advertised;
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: broker.nodeId, host, port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    topics,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  };
});

async function autoCreate(broker: Broker, name: string, withOps: boolean): Promise<MetadataResponseTopic> {
  try {
    const t = await broker.logs.createTopic(name, { partitions: broker.config.int('num.partitions') });
    broker.logger.info({ topic: name, partitions: t.partitions }, 'auto-created topic');
    return describeTopic(broker, t, withOps);
  } catch (err) {
    // Created concurrently by another request: describe what is there.
    const raced = broker.logs.topic(name);
    if (raced) return describeTopic(broker, raced, withOps);
    if (err instanceof KafkaProtocolError) return missing(name, ZERO_UUID, err.code);
    throw err;
  }
}

export function describeTopic(broker: Broker, t: TopicInfo, withOps: boolean): MetadataResponseTopic {
  const node = broker.nodeId;
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.topicId,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions: Array.from({ length: t.partitions }, (_, i) => ({
      errorCode: 0,
      partitionIndex: i,
      leaderId: node,
      leaderEpoch: 0,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: withOps ? TOPIC_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function missing(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}
