// OffsetDelete (key 47), v0: deletes a group's committed offsets for some partitions. GROUP_ID_NOT_FOUND for an
// unknown group; NON_EMPTY_GROUP when the group has members and does not use the "consumer" protocol (its
// subscriptions cannot be read); GROUP_SUBSCRIBED_TO_TOPIC for partitions of a topic an active member's
// ConsumerProtocolSubscription includes; UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
import { ApiKey, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const offsetDelete = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>(ApiKey.OffsetDelete, { min: 0, max: 0 }, async (req, ctx) => {
  const r = await ctx.broker.groups.deleteOffsets(
    req.groupId,
    req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  );
  return {
    errorCode: r.errorCode,
    throttleTimeMs: 0,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
  };
});
