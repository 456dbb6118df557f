// Committed offsets (OffsetCommit, OffsetFetch, OffsetDelete and the cleanup after a topic is deleted), after
// Kafka's OffsetMetadataManager for classic groups:
// - A commit from a member must carry the group's current generation and a known member id (static: the
//   matching instance id); during CompletingRebalance it gets REBALANCE_IN_PROGRESS. A "simple" commit
//   (generation -1, no member id) is accepted only while the group has no members, and creates the group if
//   needed; a member commit to an unknown group gets ILLEGAL_GENERATION (GROUP_ID_NOT_FOUND from v9).
// - Per partition: UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist, OFFSET_METADATA_TOO_LARGE past
//   offset.metadata.max.bytes (4096); the rest are written to __consumer_offsets (acks=-1) before the answer and
//   become visible to OffsetFetch only once written.
// - OffsetFetch returns -1 (no metadata, no leader epoch) for partitions without a commit.
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { LogManager } from '../log/log-manager';
import type { CoordinatorRecord } from './coordinator-records';
import type { ClassicGroup, CommittedOffset } from './group';
import type { GroupMembership, GroupRegistry } from './group-membership';
import { appendErrorCode, type OffsetsTopic } from './offsets-topic';

export interface OffsetCommitEntry {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** -1 means "now" (only OffsetCommit v1 carries one). */
  commitTimestamp: bigint;
}

export interface OffsetCommitArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: OffsetCommitEntry[] }[];
  /** The error for a member commit to a group that does not exist (ILLEGAL_GENERATION; GROUP_ID_NOT_FOUND at v9+). */
  unknownGroupError: number;
}

export interface TopicPartitionErrors {
  name: string;
  partitions: { partition: number; errorCode: number }[];
}

export interface FetchedOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: TopicPartitionErrors[];
}

export class OffsetManager {
  constructor(
    private readonly registry: GroupRegistry,
    private readonly membership: GroupMembership,
    private readonly topic: OffsetsTopic,
    private readonly logs: LogManager,
    private readonly maxMetadataSize: number,
    private readonly logger: Logger,
  ) {}

  async commit(req: OffsetCommitArgs): Promise<TopicPartitionErrors[]> {
    const all = (errorCode: number) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })) }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    let group = this.registry.get(req.groupId);
    if (!group) {
      if (req.generationId >= 0) return all(req.unknownGroupError);
      group = this.registry.create(req.groupId);
    }
    const error = this.validateCommit(group, req);
    if (error !== ErrorCode.NONE) return all(error);
    if (req.generationId >= 0) this.membership.touch(group, req.memberId);

    const now = BigInt(Date.now());
    const records: CoordinatorRecord[] = [];
    const written: { topic: string; partition: number; value: CommittedOffset }[] = [];
    const results: TopicPartitionErrors[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = this.logs.log(t.name, p.partition);
        if (!log) return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const metadata = p.metadata ?? '';
        if (metadata.length > this.maxMetadataSize) return { partition: p.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        const value: CommittedOffset = { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata, commitTimestamp: p.commitTimestamp < 0n ? now : p.commitTimestamp };
        records.push({ kind: 'offset', group: req.groupId, topic: t.name, partition: p.partition, value });
        written.push({ topic: t.name, partition: p.partition, value });
        return { partition: p.partition, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return results;
    try {
      await this.topic.append(req.groupId, records);
    } catch (err) {
      const code = appendErrorCode(err, 'offsets');
      this.logger.warn({ group: req.groupId, err: (err as Error).message, code }, 'offset commit could not be written');
      for (const t of results) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      return results;
    }
    // The group may have been deleted while the write was in flight; a new one of the same name starts clean.
    if (this.registry.get(req.groupId) === group && !group.is('Dead')) {
      for (const w of written) group.setOffset(w.topic, w.partition, w.value);
    }
    return results;
  }

  private validateCommit(group: ClassicGroup, req: OffsetCommitArgs): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation -1 with no member: an admin client or a consumer that assigns partitions itself.
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const error = group.validateMember(req.memberId, req.groupInstanceId);
      if (error !== ErrorCode.NONE) return error;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // A member that has its JoinGroup answer but not its assignment should not commit yet.
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * The group's committed offsets for the given partitions, or for all of them when `topics` is null.
   * `requireStable` is accepted and ignored: without transactions there are no pending offset commits.
   */
  fetch(groupId: string, topics: { name: string; partitions: number[] }[] | null): OffsetFetchResult {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.registry.get(groupId);
    const known = group && !group.is('Dead') ? group : undefined;
    if (topics === null) {
      const out: OffsetFetchResult['topics'] = [];
      for (const [name, byPartition] of known?.offsets ?? []) {
        const partitions = [...byPartition.entries()].sort((a, b) => a[0] - b[0]).map(([partition, c]) => fetched(partition, c));
        out.push({ name, partitions });
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => fetched(p, known?.committed(t.name, p))) })),
    };
  }

  /**
   * OffsetDelete: removes committed offsets of topics the group does not consume. A group with members must use
   * the consumer protocol (whose subscriptions say which topics it consumes), else NON_EMPTY_GROUP.
   */
  async delete(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteResult> {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.registry.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (!group.is('Empty') && !group.isConsumerGroup()) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const records: CoordinatorRecord[] = [];
    const results = topics.map((t) => {
      const subscribed = group.isSubscribedToTopic(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((partition) => {
          if (!this.logs.log(t.name, partition)) return { partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (subscribed) return { partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (group.committed(t.name, partition)) records.push({ kind: 'offset', group: groupId, topic: t.name, partition, value: null });
          return { partition, errorCode: ErrorCode.NONE };
        }),
      };
    });
    if (records.length > 0) {
      try {
        await this.topic.append(groupId, records);
      } catch (err) {
        return { errorCode: appendErrorCode(err, 'offsets'), topics: [] };
      }
      for (const r of records) if (r.kind === 'offset') group.removeOffset(r.topic, r.partition);
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /** After topics were deleted: tombstones for every group's offsets of them (franz-go#1411, Kafka's onPartitionsDeleted). */
  async topicsDeleted(groups: Iterable<ClassicGroup>, names: ReadonlySet<string>): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const group of groups) {
      const records: CoordinatorRecord[] = [];
      for (const name of names) {
        for (const partition of group.offsets.get(name)?.keys() ?? []) records.push({ kind: 'offset', group: group.groupId, topic: name, partition, value: null });
      }
      if (records.length === 0) continue;
      for (const name of names) group.offsets.delete(name);
      writes.push(
        this.topic.append(group.groupId, records).catch((err) => {
          this.logger.warn({ group: group.groupId, err: (err as Error).message }, 'could not write tombstones for the offsets of deleted topics');
        }),
      );
    }
    await Promise.all(writes);
  }
}

function fetched(partition: number, c: CommittedOffset | undefined): FetchedOffset {
  return c
    ? { partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE }
    : { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
}
