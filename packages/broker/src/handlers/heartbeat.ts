// Heartbeat (key 12), v0-4: keeps a member's session alive. REBALANCE_IN_PROGRESS while the group prepares a
// rebalance (the member must rejoin), ILLEGAL_GENERATION for another generation, UNKNOWN_MEMBER_ID for a member
// the group does not have, FENCED_INSTANCE_ID (v3+) when the group.instance.id belongs to another member id.
import { ApiKey, type HeartbeatRequest, type HeartbeatResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const heartbeat = defineHandler<HeartbeatRequest, HeartbeatResponse>(ApiKey.Heartbeat, { min: 0, max: 4 }, (req, ctx) => ({
  throttleTimeMs: 0,
  errorCode: ctx.broker.groups.heartbeat(req.groupId, req.memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, req.generationId),
}));
