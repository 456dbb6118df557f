// The classic group membership requests (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), after Kafka's classic group
// coordinator (GroupMetadataManager.classicGroup*); the rebalance engine they drive is in rebalancer.ts:
// - A new dynamic member is first sent MEMBER_ID_REQUIRED with a generated id (JoinGroup v4+) and joins with it;
//   a static member (group.instance.id) joins at once, and one that comes back with an unknown member id takes
//   over its old slot (member id replaced, assignment kept; in a Stable group no rebalance unless the selected
//   protocol would change; fenced: the old id's pending requests get FENCED_INSTANCE_ID).
// - A join that changes the group, a leaving or expiring member, or the leader rejoining starts a rebalance; the
//   join is parked until the join phase completes. SyncGroup parks followers until the leader's assignment is
//   persisted; then every member gets its own (empty bytes when the leader gave none). A member rejoining right
//   after its SyncGroup (the cooperative protocol's second round) is an ordinary metadata change: it starts the
//   next rebalance.
// - Every request is validated as Kafka does (group id, session timeout bounds, protocol type and names, member
//   id, group.instance.id fencing, generation) and answered with Kafka's error codes.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from 'pino';
import { ClassicGroup, EMPTY_BYTES, Member, joinError, syncError, type JoinResult, type JoinWaiter, type Protocol, type SyncResult } from './group';
import { Rebalancer, unref } from './rebalancer';

/** Kafka's group.new.member.join.timeout (internal): how long a new member may wait in JoinGroup. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export interface MembershipConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxGroupSize: number;
}

/** What the membership protocol needs from the coordinator: the group registry and persistence. */
export interface GroupRegistry {
  get(groupId: string): ClassicGroup | undefined;
  create(groupId: string): ClassicGroup;
  /** Persists the group's metadata with the given assignment; resolves with 0 or the Kafka error to report. */
  storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number>;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a dynamic member without an id is sent MEMBER_ID_REQUIRED first. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader is told to skip the assignment. */
  supportSkippingAssignment: boolean;
  reason: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: ReadonlyMap<string, Buffer>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export class GroupMembership {
  private readonly rebalancer: Rebalancer;

  constructor(
    private readonly registry: GroupRegistry,
    private readonly config: MembershipConfig,
    private readonly logger: Logger,
  ) {
    this.rebalancer = new Rebalancer(registry, config, logger);
  }

  // ------------------------------------------------------------------ JoinGroup

  join(req: JoinRequest): Promise<JoinResult> {
    if (req.groupId === '') return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknown = req.memberId === '';
    let group = this.registry.get(req.groupId);
    if (!group) {
      if (!isUnknown) return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.registry.create(req.groupId);
    }
    if (!this.acceptJoiningMember(group, req.memberId)) {
      if (group.members.has(req.memberId)) this.rebalancer.removeMemberAndUpdateGroup(group, group.members.get(req.memberId)!, 'group is over capacity');
      return Promise.resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const g = group;
    return new Promise<JoinResult>((resolve) => {
      if (isUnknown) this.joinNewMember(g, req, resolve);
      else this.joinExistingMember(g, req, resolve);
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.config.maxGroupSize;
    switch (group.state) {
      case 'PreparingRebalance': {
        if (group.members.get(memberId)?.awaitingJoin) return true;
        let awaiting = 0;
        for (const m of group.members.values()) if (m.awaitingJoin) awaiting++;
        return awaiting < max;
      }
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.size < max;
      default:
        return true;
    }
  }

  private joinNewMember(group: ClassicGroup, req: JoinRequest, done: JoinWaiter): void {
    if (group.is('Dead')) return done(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return done(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const existing = group.staticMembers.get(req.groupInstanceId);
      if (existing !== undefined) return this.updateStaticMember(group, req, existing, newMemberId, done);
      return this.addMemberAndRebalance(group, req, newMemberId, done);
    }
    if (req.requireKnownMemberId) {
      const timer = unref(setTimeout(() => this.rebalancer.expirePendingMember(group, newMemberId), req.sessionTimeoutMs));
      group.addPendingJoin(newMemberId, timer);
      return done(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberAndRebalance(group, req, newMemberId, done);
  }

  private joinExistingMember(group: ClassicGroup, req: JoinRequest, done: JoinWaiter): void {
    const { memberId } = req;
    if (group.is('Dead')) return done(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return done(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingJoinMembers.has(memberId)) {
      // Pending members are dynamic: an instance id here does not belong to this member id.
      if (req.groupInstanceId !== null) return done(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return this.addMemberAndRebalance(group, req, memberId, done);
    }
    const error = group.validateMember(memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return done(joinError(memberId, error));
    const member = group.members.get(memberId)!;
    const reason = `member ${memberId} rejoins (${req.reason ?? 'no reason given'})`;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, done, reason);
      case 'CompletingRebalance':
        // Same metadata: it probably missed the JoinGroup answer; give it the current generation again.
        if (member.matches(req.protocols)) return done(this.rebalancer.currentJoinResult(group, memberId, group.isLeader(memberId)));
        return this.updateMemberAndRebalance(group, member, req, done, `member ${memberId} changed its metadata`);
      case 'Stable':
        // The leader rejoining forces a rebalance (how it reacts to metadata changes that members cannot see).
        if (group.isLeader(memberId) || !member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req, done, reason);
        return done(this.rebalancer.currentJoinResult(group, memberId, false));
      default:
        return done(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, req: JoinRequest, memberId: string, done: JoinWaiter): void {
    const member = new Member(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, done);
    // A new member cannot heartbeat while its JoinGroup is parked; it is dropped if the join takes too long.
    this.rebalancer.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group, `new member ${memberId} joins (${req.reason ?? 'no reason given'})`);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: Member, req: JoinRequest, done: JoinWaiter, reason: string): void {
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, done);
    this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  private updateStaticMember(group: ClassicGroup, req: JoinRequest, oldMemberId: string, newMemberId: string, done: JoinWaiter): void {
    const instanceId = req.groupInstanceId!;
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    const previous = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    this.rebalancer.rescheduleHeartbeat(group, member);
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, done);
    const reason = `static member ${instanceId} rejoins as ${newMemberId} (${req.reason ?? 'no reason given'})`;
    if (group.is('Stable')) {
      if (group.protocolName !== group.selectProtocol()) return this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group, reason);
      // Same protocol: keep the generation and the assignment; persist the new member id, then answer.
      const generation = group.generationId;
      void this.registry.storeGroup(group, group.currentAssignment()).then((error) => {
        if (error !== ErrorCode.NONE) {
          this.logger.warn({ group: group.groupId, instanceId, error }, 'could not persist a static member rejoin; reverting');
          const waiter = member.joinWaiter;
          member.joinWaiter = undefined;
          if (group.members.get(newMemberId) === member) {
            group.updateMember(member, previous.protocols, previous.rebalanceTimeoutMs, previous.sessionTimeoutMs, undefined);
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            this.rebalancer.rescheduleHeartbeat(group, member);
          }
          waiter?.({ ...joinError('', error), generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader ?? '' });
          return;
        }
        // Another rebalance may have started meanwhile: then the member's join is answered by it.
        if (!group.is('Stable') || group.generationId !== generation) return;
        const isLeader = group.isLeader(newMemberId);
        member.completeJoin({
          errorCode: ErrorCode.NONE,
          generationId: group.generationId,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // Older clients are told the old leader id, so a rejoining leader does not assign (its assignment would
          // not be propagated by a Stable group); v9+ clients are told to skip the assignment instead.
          leader: (req.supportSkippingAssignment ? group.leaderId : currentLeader) ?? '',
          skipAssignment: req.supportSkippingAssignment && isLeader,
          memberId: newMemberId,
          members: req.supportSkippingAssignment && isLeader ? group.currentMemberMetadata() : [],
        });
      });
      return;
    }
    if (group.is('CompletingRebalance')) {
      // The leader may already be assigning to the old member id: start over.
      return this.rebalancer.prepareRebalance(group, reason);
    }
    this.rebalancer.maybeCompleteJoinPhase(group);
  }

  // ------------------------------------------------------------------ SyncGroup

  sync(req: SyncRequest): Promise<SyncResult> {
    if (req.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.registry.get(req.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const error = group.validateMember(req.memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return Promise.resolve(syncError(error));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.is('Empty')) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('PreparingRebalance')) return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const member = group.members.get(req.memberId)!;
    if (group.is('Stable')) {
      this.rebalancer.removePendingSyncMember(group, req.memberId);
      this.rebalancer.rescheduleHeartbeat(group, member);
      return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    }
    // CompletingRebalance: park until the leader's assignment is persisted.
    return new Promise<SyncResult>((resolve) => {
      member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS)); // a superseded SyncGroup of this member
      member.syncWaiter = resolve;
      this.rebalancer.removePendingSyncMember(group, req.memberId);
      if (!group.isLeader(req.memberId)) return;
      const assignment = new Map<string, Buffer>();
      for (const m of group.members.values()) assignment.set(m.memberId, req.assignments.get(m.memberId) ?? EMPTY_BYTES);
      const generation = group.generationId;
      void this.registry.storeGroup(group, assignment).then((storeError) => {
        // A member may have joined (or left) while the write was in flight: then this generation is over.
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        if (storeError !== ErrorCode.NONE) {
          this.rebalancer.resetAndPropagateAssignmentError(group, storeError);
          this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group, `storing the assignment failed with error ${storeError}`);
          return;
        }
        for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
        this.rebalancer.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo('Stable');
        this.logger.info({ group: group.groupId, generation }, 'group is stable');
      });
    });
  }

  // ------------------------------------------------------------------ Heartbeat

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.registry.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(memberId, groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.rebalancer.rescheduleHeartbeat(group, group.members.get(memberId)!);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** A member's OffsetCommit also proves it alive. */
  touch(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    if (member) this.rebalancer.rescheduleHeartbeat(group, member);
  }

  // ------------------------------------------------------------------ LeaveGroup

  leave(groupId: string, members: readonly MemberIdentity[]): LeaveResult {
    const unknown = (m: MemberIdentity, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.registry.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: members.map((m) => unknown(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = members.map((m) => {
      const why = m.reason ?? 'no reason given';
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const current = m.groupInstanceId !== null ? group.staticMembers.get(m.groupInstanceId) : undefined;
        if (current === undefined) return unknown(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeLeavingMember(group, current, why);
        return unknown(m, ErrorCode.NONE);
      }
      if (group.clearPendingJoin(m.memberId)) return unknown(m, ErrorCode.NONE);
      const error = group.validateMember(m.memberId, m.groupInstanceId);
      if (error !== ErrorCode.NONE) return unknown(m, error);
      this.removeLeavingMember(group, m.memberId, why);
      return unknown(m, ErrorCode.NONE);
    });
    if (results.some((r) => r.errorCode === ErrorCode.NONE)) {
      const reason = `members left: ${results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId || r.groupInstanceId).join(', ')}`;
      if (group.is('Stable') || group.is('CompletingRebalance')) this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group, reason);
      else if (group.is('PreparingRebalance')) {
        if (group.hasAllMembersJoined() && (group.previousState !== 'Empty' || group.size === 0)) this.rebalancer.completeJoin(group);
      }
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private removeLeavingMember(group: ClassicGroup, memberId: string, reason: string): void {
    this.logger.info({ group: group.groupId, member: memberId, reason }, 'member left the group');
    group.remove(memberId);
  }

  /** Starts session timers for the members of a group loaded from the log (they must heartbeat to stay). */
  loaded(group: ClassicGroup): void {
    this.rebalancer.loaded(group);
  }

  /** Stops the group's timers and answers its parked requests (broker shutdown, group deleted). */
  unload(group: ClassicGroup, errorCode: number): void {
    this.rebalancer.unload(group, errorCode);
  }
}

function inconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}
