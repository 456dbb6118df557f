// SyncGroup (key 14), v0-5: after JoinGroup, the leader sends every member's assignment and each member gets its
// own. Followers are parked until the leader's assignment is persisted; the assignment is always bytes (empty
// when the leader assigned nothing), never null. ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS
// (a new rebalance started: rejoin), FENCED_INSTANCE_ID (v3+); v5 checks the protocol type and name against
// the group's (INCONSISTENT_GROUP_PROTOCOL) and answers them.
import { ApiKey, type SyncGroupRequest, type SyncGroupResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const syncGroup = defineHandler<SyncGroupRequest, SyncGroupResponse>(ApiKey.SyncGroup, { min: 0, max: 5 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  const r = await ctx.broker.groups.sync({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: v >= 3 ? req.groupInstanceId : null,
    protocolType: v >= 5 ? req.protocolType : null,
    protocolName: v >= 5 ? req.protocolName : null,
    assignments: new Map(req.assignments.map((a) => [a.memberId, Buffer.from(a.assignment)])),
  });
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
});
