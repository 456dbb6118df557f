// OffsetCommit (key 8), v0-9: commits a group's offsets, answered once they are written (acks=-1) to
// __consumer_offsets. v0 commits without generation or member (a "simple" commit, allowed while the group has
// no members); v1 adds generation, member id and a per-partition commit timestamp (used when not -1); v2-4
// carry a retention time, ignored (committed offsets do not expire on this broker); v6+ the leader epoch;
// v7+ group.instance.id. Metadata round-trips (null is stored as ""); OFFSET_METADATA_TOO_LARGE past
// offset.metadata.max.bytes; UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist. A member commit to a
// group that does not exist gets ILLEGAL_GENERATION, or GROUP_ID_NOT_FOUND from v9.
import { ApiKey, ErrorCode, type OffsetCommitRequest, type OffsetCommitResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const offsetCommit = defineHandler<OffsetCommitRequest, OffsetCommitResponse>(ApiKey.OffsetCommit, { min: 0, max: 9 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  const topics = await ctx.broker.groups.commitOffsets({
    groupId: req.groupId,
    generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
    memberId: v >= 1 ? req.memberId : '',
    groupInstanceId: v >= 7 ? req.groupInstanceId : null,
    unknownGroupError: v >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
        commitTimestamp: v === 1 ? p.commitTimestamp : -1n,
      })),
    })),
  });
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
  };
});
