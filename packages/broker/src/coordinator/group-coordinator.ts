// The classic group coordinator of this (single) broker: it coordinates every group, so FindCoordinator always
// names this node. Membership (join/sync/heartbeat/leave) lives in GroupMembership, offsets in OffsetManager;
// this class owns the group registry, persistence to __consumer_offsets, the admin operations (describe, list,
// delete groups), startup replay and shutdown.
//
// Persistence: Kafka writes a group's metadata when a generation's assignment is agreed (the leader's SyncGroup),
// when a group becomes Empty, when a static member is replaced, and tombstones when a group is deleted; offsets
// on every commit. On start the coordinator replays the log (last value per key wins, tombstones delete) and
// rebuilds groups: one with members comes back Stable with its generation and assignments, and each member
// must heartbeat within its session timeout or it is removed (as Kafka does when a coordinator loads a group).
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config';
import type { LogManager } from '../log/log-manager';
import { OFFSETS_TOPIC, type CoordinatorRecord, type StoredGroup } from './coordinator-records';
import { ClassicGroup, EMPTY_BYTES, Member, type CommittedOffset, type GroupState, type JoinResult, type SyncResult } from './group';
import {
  GroupMembership,
  type GroupRegistry,
  type JoinRequest,
  type LeaveResult,
  type MemberIdentity,
  type MembershipConfig,
  type SyncRequest,
} from './group-membership';
import { OffsetManager, type OffsetCommitArgs, type OffsetDeleteResult, type OffsetFetchResult, type TopicPartitionErrors } from './offset-manager';
import { OffsetsTopic, appendErrorCode } from './offsets-topic';

export interface GroupCoordinatorConfig extends MembershipConfig {
  offsetsTopicPartitions: number;
  offsetsTopicSegmentBytes: number;
  maxOffsetMetadataSize: number;
}

export interface GroupCoordinatorOptions {
  logs: LogManager;
  config: GroupCoordinatorConfig;
  logger: Logger;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's metadata for the selected protocol (empty unless the group is Stable). */
  metadata: Buffer;
  assignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  state: GroupState;
  protocolType: string;
  /** The selected protocol (empty unless the group is Stable). */
  protocol: string;
  members: GroupMemberDescription[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: GroupState;
  groupType: 'classic';
}

/** Reads the coordinator's settings, with Kafka's defaults for those BrokerConfig does not define. */
export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  const int = (name: string, def: number) => {
    const v = config.get(name);
    const n = v === null ? def : Number(v);
    return Number.isFinite(n) ? n : def;
  };
  return {
    minSessionTimeoutMs: int('group.min.session.timeout.ms', 6000),
    maxSessionTimeoutMs: int('group.max.session.timeout.ms', 1_800_000),
    initialRebalanceDelayMs: int('group.initial.rebalance.delay.ms', 3000),
    maxGroupSize: int('group.max.size', 2147483647),
    offsetsTopicPartitions: int('offsets.topic.num.partitions', 50),
    offsetsTopicSegmentBytes: int('offsets.topic.segment.bytes', 104857600),
    maxOffsetMetadataSize: int('offset.metadata.max.bytes', 4096),
  };
}

export class GroupCoordinator implements GroupRegistry {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly topic: OffsetsTopic;
  private readonly membership: GroupMembership;
  private readonly offsets: OffsetManager;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(private readonly opts: GroupCoordinatorOptions) {
    const { logs, config, logger } = opts;
    this.topic = new OffsetsTopic({ logs, numPartitions: config.offsetsTopicPartitions, segmentBytes: config.offsetsTopicSegmentBytes, logger });
    this.membership = new GroupMembership(this, config, logger);
    this.offsets = new OffsetManager(this, this.membership, this.topic, logs, config.maxOffsetMetadataSize, logger);
  }

  /** Creates the coordinator and loads the groups and offsets stored in __consumer_offsets. */
  static async open(opts: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const c = new GroupCoordinator(opts);
    await c.load();
    return c;
  }

  /** The partition of __consumer_offsets that holds a group. */
  partitionFor(groupId: string): number {
    return this.topic.partitionFor(groupId);
  }

  /** Creates __consumer_offsets if it does not exist yet (FindCoordinator does, as Kafka does). */
  ensureOffsetsTopic(): Promise<void> {
    return this.track(this.topic.ensure());
  }

  // ------------------------------------------------------------------ membership and offsets

  join(req: JoinRequest): Promise<JoinResult> {
    return this.membership.join(req);
  }
  sync(req: SyncRequest): Promise<SyncResult> {
    return this.membership.sync(req);
  }
  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    return this.membership.heartbeat(groupId, memberId, groupInstanceId, generationId);
  }
  leave(groupId: string, members: readonly MemberIdentity[]): LeaveResult {
    return this.membership.leave(groupId, members);
  }
  commitOffsets(req: OffsetCommitArgs): Promise<TopicPartitionErrors[]> {
    return this.track(this.offsets.commit(req));
  }
  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null): OffsetFetchResult {
    return this.offsets.fetch(groupId, topics);
  }
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteResult> {
    return this.track(this.offsets.delete(groupId, topics));
  }

  /** Call after topics are deleted: their committed offsets are removed from every group (and tombstoned). */
  onTopicsDeleted(names: Iterable<string>): Promise<void> {
    const set = new Set(names);
    set.delete(OFFSETS_TOPIC);
    if (set.size === 0) return Promise.resolve();
    return this.track(this.offsets.topicsDeleted(this.groups.values(), set));
  }

  // ------------------------------------------------------------------ admin

  describeGroup(groupId: string): GroupDescription {
    if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID, state: 'Dead', protocolType: '', protocol: '', members: [] };
    const group = this.groups.get(groupId);
    if (!group) return { groupId, errorCode: ErrorCode.NONE, state: 'Dead', protocolType: '', protocol: '', members: [] };
    const stable = group.is('Stable');
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(group.protocolName) : EMPTY_BYTES,
        assignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  /** Groups, optionally filtered by state and type names (case-insensitive; empty filter = all). */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): GroupListing[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has('classic')) return [];
    return [...this.groups.values()]
      .filter((g) => !g.is('Dead') && (states.size === 0 || states.has(g.state.toLowerCase())))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: 'classic' as const }));
  }

  /** DeleteGroups: an Empty group is removed with all its offsets (tombstones for each and for the group). */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return this.track(
      Promise.all(
        groupIds.map(async (groupId) => {
          if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
          const group = this.groups.get(groupId);
          if (!group || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
          if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
          const records: CoordinatorRecord[] = [];
          for (const [topic, byPartition] of group.offsets) {
            for (const partition of byPartition.keys()) records.push({ kind: 'offset', group: groupId, topic, partition, value: null });
          }
          records.push({ kind: 'group', group: groupId, value: null });
          group.transitionTo('Dead');
          this.membership.unload(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
          this.groups.delete(groupId);
          try {
            await this.topic.append(groupId, records);
          } catch (err) {
            this.opts.logger.warn({ group: groupId, err: (err as Error).message }, 'could not write the tombstones of a deleted group');
            return { groupId, errorCode: appendErrorCode(err, 'group') };
          }
          this.opts.logger.info({ group: groupId }, 'group deleted');
          return { groupId, errorCode: ErrorCode.NONE };
        }),
      ),
    );
  }

  // ------------------------------------------------------------------ registry (GroupRegistry)

  get(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  create(groupId: string): ClassicGroup {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new ClassicGroup(groupId)));
    return group;
  }

  async storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    const value: StoredGroup = {
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      stateTimestamp: BigInt(group.stateTimestamp),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignment.get(m.memberId) ?? EMPTY_BYTES,
      })),
    };
    try {
      await this.track(this.topic.append(group.groupId, [{ kind: 'group', group: group.groupId, value }]));
      return ErrorCode.NONE;
    } catch (err) {
      const code = appendErrorCode(err, 'group');
      this.opts.logger.warn({ group: group.groupId, err: (err as Error).message, code }, 'could not write group metadata');
      return code;
    }
  }

  // ------------------------------------------------------------------ lifecycle

  private async load(): Promise<void> {
    const stored = new Map<string, StoredGroup | null>();
    const offsets = new Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset | null }>>();
    const count = await this.topic.replay((r) => {
      if (r.kind === 'group') {
        stored.set(r.group, r.value);
        return;
      }
      let byKey = offsets.get(r.group);
      if (!byKey) offsets.set(r.group, (byKey = new Map()));
      byKey.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, value: r.value });
    });
    for (const [groupId, value] of stored) if (value) this.restoreGroup(groupId, value);
    for (const [groupId, byKey] of offsets) {
      const live = [...byKey.values()].filter((o) => o.value !== null);
      if (live.length === 0) continue;
      const group = this.create(groupId);
      for (const o of live) group.setOffset(o.topic, o.partition, o.value!);
    }
    if (count > 0) this.opts.logger.info({ records: count, groups: this.groups.size }, 'loaded groups and offsets from __consumer_offsets');
  }

  private restoreGroup(groupId: string, v: StoredGroup): void {
    const group = this.create(groupId);
    group.generationId = v.generationId;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocolName;
    for (const m of v.members) {
      if (v.protocolName === null) break;
      const member = new Member(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs < 0 ? m.sessionTimeoutMs : m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        v.protocolType,
        [{ name: v.protocolName, metadata: m.subscription }],
      );
      member.assignment = m.assignment;
      group.add(member);
    }
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    if (v.leaderId !== null && group.members.has(v.leaderId)) group.leaderId = v.leaderId;
    group.state = group.size > 0 ? 'Stable' : 'Empty';
    group.previousState = group.state;
    group.subscribedTopics = group.computeSubscribedTopics();
    if (group.size > 0) this.membership.loaded(group);
  }

  /** Stops timers, answers parked requests with NOT_COORDINATOR and waits for writes in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) this.membership.unload(group, ErrorCode.NOT_COORDINATOR);
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}
