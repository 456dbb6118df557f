// The rebalance engine of classic groups, after Kafka's classic group coordinator (GroupMetadataManager): the
// state transitions (PreparingRebalance -> CompletingRebalance -> Stable, or Empty), the join phase and its
// timers (initial delay, rebalance timeout), the wait for SyncGroups, assignment propagation, and the session
// timers that remove silent members. GroupMembership (the requests) calls in here; so do timers.
//
// - A join that changes the group starts PreparingRebalance; the join phase completes when every member has
//   rejoined (and no MEMBER_ID_REQUIRED id is outstanding) or the rebalance timeout (the members' largest)
//   passes, which removes dynamic members that did not rejoin. A rebalance out of Empty waits
//   group.initial.rebalance.delay.ms (extended while members keep arriving, up to the rebalance timeout).
// - Completing the join bumps the generation, selects the protocol by vote, answers every parked JoinGroup (the
//   leader gets all members' metadata) and waits for SyncGroups; members that do not sync within the rebalance
//   timeout are removed.
// - A session timer per member, reset by heartbeats and requests, removes a member that goes silent; members
//   parked in JoinGroup/SyncGroup are kept (new members only until the 5-minute new-member join timeout).
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from 'pino';
import { EMPTY_BYTES, joinError, syncError, type ClassicGroup, type JoinResult, type Member } from './group';
import type { GroupRegistry, MembershipConfig } from './group-membership';

export const unref = (t: NodeJS.Timeout): NodeJS.Timeout => {
  t.unref();
  return t;
};

export class Rebalancer {
  constructor(
    private readonly registry: GroupRegistry,
    private readonly config: MembershipConfig,
    private readonly logger: Logger,
  ) {}

  currentJoinResult(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  /** Completes the join phase once everyone rejoined, except during the initial delay of a group that was Empty. */
  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') this.completeJoin(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearSyncExpiration(group);
    this.clearJoinTimer(group);
    const initial = group.is('Empty');
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      group.joinTimer = unref(setTimeout(() => this.tryCompleteInitialRebalance(group, delay, remaining), delay));
    }
    this.logger.info({ group: group.groupId, state: group.state, generation: group.generationId, reason }, 'preparing to rebalance');
    group.transitionTo('PreparingRebalance');
    if (!initial) {
      if (group.hasAllMembersJoined()) this.completeJoin(group);
      else group.joinTimer = unref(setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs));
    }
  }

  private tryCompleteInitialRebalance(group: ClassicGroup, delay: number, remaining: number): void {
    group.joinTimer = undefined;
    if (group.newMemberAdded && remaining !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.config.initialRebalanceDelayMs, remaining);
      const nextRemaining = Math.max(remaining - delay, 0);
      group.joinTimer = unref(setTimeout(() => this.tryCompleteInitialRebalance(group, nextDelay, nextRemaining), nextDelay));
      return;
    }
    this.completeJoin(group);
  }

  completeJoin(group: ClassicGroup): void {
    this.clearJoinTimer(group);
    if (!group.is('PreparingRebalance')) return;
    const gone = [...group.members.values()].filter((m) => !m.awaitingJoin && m.groupInstanceId === null);
    for (const m of gone) group.remove(m.memberId);
    if (gone.length > 0) this.logger.info({ group: group.groupId, members: gone.map((m) => m.memberId) }, 'removed members that did not rejoin');

    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined remain: wait for them (or for their session timeouts).
      this.logger.warn({ group: group.groupId }, 'rebalance cannot complete: no member rejoined');
      group.joinTimer = unref(setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs));
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      void this.registry.storeGroup(group, new Map());
      return;
    }
    this.logger.info({ group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName }, 'group rebalanced');
    for (const member of group.members.values()) {
      const isLeader = group.isLeader(member.memberId);
      member.completeJoin(this.currentJoinResult(group, member.memberId, isLeader));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    group.syncTimer = unref(setTimeout(() => this.expirePendingSync(group, generation), group.rebalanceTimeoutMs));
  }

  private expirePendingSync(group: ClassicGroup, generation: number): void {
    group.syncTimer = undefined;
    if (generation !== group.generationId) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) group.remove(id);
    this.prepareRebalance(group, `members ${missing.join(', ')} did not send SyncGroup in time`);
  }

  private clearJoinTimer(group: ClassicGroup): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
  }

  private clearSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
  }

  removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    const waiting = group.is('CompletingRebalance') || group.is('Stable');
    if ((!waiting || group.pendingSyncMembers.size === 0) && group.syncTimer) {
      clearTimeout(group.syncTimer);
      group.syncTimer = undefined;
    }
  }

  resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = m.completeSync({
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      if (answered) this.rescheduleHeartbeat(group, m);
    }
  }

  rescheduleHeartbeat(group: ClassicGroup, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer);
    const memberId = member.memberId;
    member.heartbeatTimer = unref(setTimeout(() => this.expireHeartbeat(group, memberId), timeoutMs));
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (group.is('Dead')) return;
    const member = group.members.get(memberId);
    if (!member) return;
    member.heartbeatTimer = undefined;
    // Members parked in a rebalance are alive, except new members whose join has taken too long.
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return;
    this.logger.info({ group: group.groupId, member: memberId }, 'member session expired');
    this.removeMemberAndUpdateGroup(group, member, `member ${memberId} session expired`);
  }

  expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingJoinMembers.delete(memberId)) return;
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  removeMemberAndUpdateGroup(group: ClassicGroup, member: Member, reason: string): void {
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  /** Starts session timers for the members of a group loaded from the log (they must heartbeat to stay). */
  loaded(group: ClassicGroup): void {
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
  }

  /** Stops the group's timers and answers its parked requests (broker shutdown, group unloaded). */
  unload(group: ClassicGroup, errorCode: number): void {
    this.clearJoinTimer(group);
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
    for (const id of [...group.pendingJoinMembers.keys()]) group.clearPendingJoin(id);
    for (const m of group.members.values()) {
      if (m.heartbeatTimer) clearTimeout(m.heartbeatTimer);
      m.heartbeatTimer = undefined;
      m.completeJoin(joinError(m.memberId, errorCode));
      m.completeSync(syncError(errorCode));
    }
  }
}
