// One classic consumer group's state, as Kafka's ClassicGroup keeps it: the state machine (Empty ->
// PreparingRebalance -> CompletingRebalance -> Stable, Dead once deleted), generation, protocol type and the
// selected protocol, the leader, members (dynamic and static), the pending members that were sent
// MEMBER_ID_REQUIRED, the members the coordinator still expects a SyncGroup from, and the committed offsets.
// No timers and no I/O here: GroupMembership drives the rebalance protocol and OffsetManager the offsets.
//
// A member's pending JoinGroup or SyncGroup is a waiter (a callback). Every waiter is answered exactly once:
// the transport writes responses in request order, so a waiter that was dropped would stall its connection.
import { ConsumerProtocolSubscription, ErrorCode, Reader } from '@tributary/protocol';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinedMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Every member's metadata for the selected protocol: only in the leader's result. */
  members: JoinedMember[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  /** Always bytes (empty when there is none), never null. */
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

export type JoinWaiter = (result: JoinResult) => void;
export type SyncWaiter = (result: SyncResult) => void;

export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  /** Added in the current rebalance; may be expired while it waits for its JoinGroup answer. */
  isNew = false;
  joinWaiter: JoinWaiter | undefined;
  syncWaiter: SyncWaiter | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get awaitingJoin(): boolean {
    return this.joinWaiter !== undefined;
  }
  get awaitingSync(): boolean {
    return this.syncWaiter !== undefined;
  }

  /** The member's metadata for `protocol` (empty bytes if it does not support it). */
  metadata(protocol: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    return protocols.length === this.protocols.length && protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name;
  }

  completeJoin(result: JoinResult): boolean {
    const w = this.joinWaiter;
    if (!w) return false;
    this.joinWaiter = undefined;
    w(result);
    return true;
  }

  completeSync(result: SyncResult): boolean {
    const w = this.syncWaiter;
    if (!w) return false;
    this.syncWaiter = undefined;
    w(result);
    return true;
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  stateTimestamp = Date.now();
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly pendingJoinMembers = new Map<string, NodeJS.Timeout>();
  /** Members of the current generation the coordinator has not received a SyncGroup from. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial rebalance delay, which extends it. */
  newMemberAdded = false;
  /** The topics the members subscribe to (consumer protocol only); null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /** topic -> partition -> committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  joinTimer: NodeJS.Timeout | undefined;
  syncTimer: NodeJS.Timeout | undefined;

  constructor(readonly groupId: string) {}

  transitionTo(state: GroupState): void {
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = Date.now();
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  /** PreparingRebalance may be entered from these states. */
  canRebalance(): boolean {
    return this.state === 'Stable' || this.state === 'CompletingRebalance' || this.state === 'Empty';
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get size(): number {
    return this.members.size;
  }

  /** The largest rebalance timeout of the members (how long a rebalance waits for them). */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  hasAllMembersJoined(): boolean {
    if (this.pendingJoinMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  add(member: Member, waiter?: JoinWaiter): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    member.joinWaiter = waiter;
    this.clearPendingJoin(member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** Removes a member; a pending JoinGroup or SyncGroup of it is answered with UNKNOWN_MEMBER_ID. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer);
      member.heartbeatTimer = undefined;
      member.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      member.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.clearPendingJoin(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  addPendingJoin(memberId: string, timer: NodeJS.Timeout): void {
    this.pendingJoinMembers.set(memberId, timer);
  }

  clearPendingJoin(memberId: string): boolean {
    const timer = this.pendingJoinMembers.get(memberId);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.pendingJoinMembers.delete(memberId);
    return true;
  }

  /** Updates a member's protocols and timeouts and parks its new JoinGroup (a superseded one is answered). */
  updateMember(member: Member, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, waiter: JoinWaiter | undefined): void {
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (waiter) member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.joinWaiter = waiter;
  }

  /**
   * A static member rejoined with an unknown member id: the member keeps its slot (assignment, protocols) under
   * `newMemberId`; whoever still waits on the old id is fenced.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`static member ${oldMemberId} of ${this.groupId} is not a member`);
    this.members.delete(oldMemberId);
    member.completeJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  /** Kafka's validateMember: an unknown or mismatched group.instance.id, or an unknown member id. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** A joining member fits if its protocol type matches and one of its protocols is supported by every member. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    return protocols.some((p) => this.supportedByAll(p.name));
  }

  private supportedByAll(name: string): boolean {
    for (const m of this.members.values()) if (!m.protocols.some((p) => p.name === name)) return false;
    return true;
  }

  /** Every member votes for its preferred protocol among those all members support; most votes wins. */
  selectProtocol(): string {
    const first = this.members.values().next().value;
    if (!first) throw new Error(`cannot select a protocol for the empty group ${this.groupId}`);
    const candidates = new Set(first.protocols.map((p) => p.name).filter((n) => this.supportedByAll(n)));
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v !== undefined) votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === undefined) throw new Error(`no protocol is supported by every member of ${this.groupId}`);
    return best;
  }

  /** If the leader has not rejoined, a member that has becomes the leader. False when none has. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** The members and their metadata for the selected protocol (what the leader assigns from). */
  currentMemberMetadata(): JoinedMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  currentAssignment(): Map<string, Buffer> {
    return new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
  }

  isConsumerGroup(): boolean {
    return this.protocolType === 'consumer';
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  /**
   * For the "consumer" protocol, the topics in the members' ConsumerProtocolSubscription, read as v0 (the prefix
   * of every version); null for other protocols or when a subscription cannot be read.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer') return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        for (const t of ConsumerProtocolSubscription.decode(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  committed(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (!byPartition) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, value);
  }

  removeOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (!byPartition?.delete(partition)) return false;
    if (byPartition.size === 0) this.offsets.delete(topic);
    return true;
  }
}
