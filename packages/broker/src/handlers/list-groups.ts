// ListGroups (key 16), v0-5: every group this coordinator knows (including "simple" groups that only hold
// committed offsets), with its protocol type; the state from v4 (StatesFilter narrows, case-insensitively) and
// the group type from v5 (all groups here are "classic"; a TypesFilter without it lists none).
import { ApiKey, type ListGroupsRequest, type ListGroupsResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const listGroups = defineHandler<ListGroupsRequest, ListGroupsResponse>(ApiKey.ListGroups, { min: 0, max: 5 }, (req, ctx) => {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groups.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
  };
});
