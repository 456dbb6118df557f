// TxnOffsetCommit (key 28), v0-4: offsets committed as part of a transaction, sent to the group coordinator after
// AddOffsetsToTxn. They are written to __consumer_offsets as a transactional batch at once but stay invisible
// until EndTxn commits (dropped on abort). The transaction must be Ongoing with the group's offsets in it
// (INVALID_TXN_STATE otherwise), the producer id and epoch current (INVALID_PRODUCER_ID_MAPPING /
// INVALID_PRODUCER_EPOCH). v3+ carry generation, member id and group.instance.id, checked like OffsetCommit's
// (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID); older versions commit without membership.
// Per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE.
import { ApiKey, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const txnOffsetCommit = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, { min: 0, max: 4 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  const topics = await ctx.broker.transactions.txnOffsetCommit(req.transactionalId, {
    groupId: req.groupId,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
    generationId: v >= 3 ? req.generationId : -1,
    memberId: v >= 3 ? req.memberId : '',
    groupInstanceId: v >= 3 ? req.groupInstanceId : null,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
      })),
    })),
  });
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
  };
});
