// DeleteGroups (key 42), v0-2: deletes groups with no members, with all their committed offsets (tombstones in
// __consumer_offsets). NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for one that does not exist.
import { ApiKey, type DeleteGroupsRequest, type DeleteGroupsResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const deleteGroups = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>(ApiKey.DeleteGroups, { min: 0, max: 2 }, async (req, ctx) => ({
  throttleTimeMs: 0,
  results: await ctx.broker.groups.deleteGroups(req.groupsNames),
}));
