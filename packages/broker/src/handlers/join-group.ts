// JoinGroup (key 11), v0-9: a member joins (or rejoins) a classic group; the answer is parked until the join
// phase of the rebalance completes (see coordinator/group-membership.ts). v0 has no rebalance timeout (the
// session timeout is used); v4+ dynamic members without an id get MEMBER_ID_REQUIRED and a generated id
// (`<clientId>-<uuid>`); v5+ carry group.instance.id (static membership); v7+ answer the protocol type and
// name (nullable; older versions get "" for no protocol); v8+ carry a reason, logged with the rebalance it
// causes; v9 may tell a rejoining static leader to skip the assignment. Protocol metadata is opaque here.
import { ApiKey, type JoinGroupRequest, type JoinGroupResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const joinGroup = defineHandler<JoinGroupRequest, JoinGroupResponse>(ApiKey.JoinGroup, { min: 0, max: 9 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  const r = await ctx.broker.groups.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: v >= 5 ? req.groupInstanceId : null,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx.remote),
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    requireKnownMemberId: v >= 4,
    supportSkippingAssignment: v >= 9,
    reason: v >= 8 ? req.reason : null,
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
});

/** Kafka reports a member's host as InetAddress.toString(): "/127.0.0.1". */
function clientHost(remote: string): string {
  const i = remote.lastIndexOf(':');
  return `/${i > 0 ? remote.slice(0, i) : remote}`;
}
