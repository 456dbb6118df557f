// LeaveGroup (key 13), v0-5: members leave a group, which then rebalances. v0-2 name one member and answer with
// one error code (the member's); v3+ batch members (by member id, or by group.instance.id alone to remove a
// static member administratively) with an error per member; v5 adds a reason per member, logged.
import { ApiKey, type LeaveGroupRequest, type LeaveGroupResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const leaveGroup = defineHandler<LeaveGroupRequest, LeaveGroupResponse>(ApiKey.LeaveGroup, { min: 0, max: 5 }, (req, ctx) => {
  const v = ctx.apiVersion;
  const members =
    v >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  const r = ctx.broker.groups.leave(req.groupId, members);
  if (v < 3) {
    const errorCode = r.errorCode !== 0 ? r.errorCode : (r.members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode, members: [] };
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
});
