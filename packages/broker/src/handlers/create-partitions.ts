// CreatePartitions (key 37), v0-v3. Every topic in the request gets a result. Following Kafka's controller: a topic
// named twice is INVALID_REQUEST "Duplicate topic name."; an unknown topic UNKNOWN_TOPIC_OR_PARTITION; a count equal
// to or below the current one INVALID_PARTITIONS with Kafka's message; an assignment list must have one entry per
// new partition (INVALID_REPLICA_ASSIGNMENT) and each entry must be exactly [this node]. validateOnly checks
// everything and adds nothing. As a guard like Kafka's per-request record bound, a request may add at most 10000
// partitions in all; topics past that get POLICY_VIOLATION.
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  type CreatePartitionsRequest,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '@tributary/protocol';
import type { Broker } from '../broker';
import { LogError } from '../log';
import { defineHandler } from './handler';
import { MAX_RECORDS_PER_USER_OP, batchTooLarge, checkManualAssignment } from './topic-admin';

type Result = CreatePartitionsResponseCreatePartitionsTopicResult;

export const createPartitions = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>(
  ApiKey.CreatePartitions,
  { min: 0, max: 3 },
  async (req, ctx) => {
    const { broker } = ctx;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: Result[] = [];
    let added = 0;
    for (const topic of req.topics) {
      const n = counts.get(topic.name)!;
      if (n === 0) continue; // a duplicate, already answered
      if (n > 1) {
        results.push({ name: topic.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
        counts.set(topic.name, 0);
        continue;
      }
      try {
        const adding = check(broker, topic);
        added += adding;
        if (added > MAX_RECORDS_PER_USER_OP) throw batchTooLarge();
        const grown = await broker.logs.createPartitions(topic.name, topic.count, req.validateOnly);
        if (!req.validateOnly) broker.logger.info({ topic: grown.name, partitions: grown.partitions }, 'added partitions');
        results.push({ name: topic.name, errorCode: 0, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaProtocolError)) throw err;
        results.push({ name: topic.name, errorCode: err.code, errorMessage: err instanceof LogError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' ? null : err.message });
      }
    }
    return { throttleTimeMs: 0, results };
  },
);

/** Validates one topic as Kafka's controller does; returns the number of partitions it adds. */
function check(broker: Broker, topic: CreatePartitionsRequestCreatePartitionsTopic): number {
  const existing = broker.logs.topic(topic.name);
  if (!existing) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${topic.name}' does not exist.`);
  const current = existing.partitions;
  if (topic.count === current) throw new LogError('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`);
  if (topic.count < current) {
    throw new LogError('INVALID_PARTITIONS', `The topic ${topic.name} currently has ${current} partition(s); ${topic.count} would not be an increase.`);
  }
  const additional = topic.count - current;
  if (topic.assignments !== null) {
    if (topic.assignments.length !== additional) {
      throw new KafkaProtocolError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${additional} additional partition(s), but only ${topic.assignments.length} assignment(s) were specified.`,
      );
    }
    for (const a of topic.assignments) checkManualAssignment(a.brokerIds, broker.nodeId, 1);
  }
  return additional;
}
