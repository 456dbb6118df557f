// DescribeGroups (key 15), v0-5: state (Empty, PreparingRebalance, CompletingRebalance, Stable, or Dead for a
// group that does not exist), protocol type, the selected protocol and each member's client id, host, metadata
// and assignment (metadata, assignment and protocol only while Stable, as Kafka does); group.instance.id v4+;
// authorized operations v3+ when asked for (no ACLs yet: read, delete, describe).
import { ApiKey, type DescribeGroupsRequest, type DescribeGroupsResponse } from '@tributary/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from '../domain/topics';
import { defineHandler } from './handler';

export const describeGroups = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>(ApiKey.DescribeGroups, { min: 0, max: 5 }, (req, ctx) => ({
  throttleTimeMs: 0,
  groups: req.groups.map((groupId) => {
    const d = ctx.broker.groups.describeGroup(groupId);
    return {
      errorCode: d.errorCode,
      groupId: d.groupId,
      groupState: d.state,
      protocolType: d.protocolType,
      protocolData: d.protocol,
      members: d.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
      authorizedOperations: ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  }),
}));
