// Checks shared by CreateTopics and CreatePartitions, with the codes and messages of Kafka's KRaft controller
// (ReplicationControlManager): a replica assignment on a single-node cluster may only name this node, once, and a
// replication factor above 1 cannot be placed.
import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';

/** The controller's bound on metadata records written by one request (BoundedList MAX_RECORDS_PER_USER_OP). */
export const MAX_RECORDS_PER_USER_OP = 10_000;

export function batchTooLarge(): KafkaProtocolError {
  return new KafkaProtocolError(ErrorCode.POLICY_VIOLATION, 'Unable to perform excessively large batch operation.');
}

/** validateManualPartitionAssignment against a cluster of one registered broker, `nodeId`. */
export function checkManualAssignment(brokerIds: readonly number[], nodeId: number, replicationFactor: number | undefined): void {
  const invalid = (message: string) => new KafkaProtocolError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
  if (brokerIds.length === 0) throw invalid('The manual partition assignment includes an empty replica list.');
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | undefined;
  for (const id of sorted) {
    if (id !== nodeId) throw invalid(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (id === previous) throw invalid(`The manual partition assignment includes the broker ${previous} more than once.`);
    previous = id;
  }
  if (replicationFactor !== undefined && sorted.length !== replicationFactor) {
    throw invalid(
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous ` +
        `partitions, which have ${replicationFactor} replica(s).`,
    );
  }
}

/** The error for a replication factor this single broker cannot satisfy, or undefined. */
export function replicationFactorError(replicationFactor: number): KafkaProtocolError | undefined {
  if (replicationFactor <= 1) return undefined;
  return new KafkaProtocolError(
    ErrorCode.INVALID_REPLICATION_FACTOR,
    `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached ` +
      'because only 1 broker(s) are registered.',
  );
}
