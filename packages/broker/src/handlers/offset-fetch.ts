// OffsetFetch (key 9), v0-9: a group's committed offsets (offset, leader epoch v5+, metadata), -1 with no
// metadata for partitions without a commit. v2+ may ask for all committed partitions (topics null) and carry a
// top-level error code (v0-1 report group errors per partition); v8+ ask for several groups at once (the
// member id/epoch of v9 are for KIP-848 groups and are ignored for classic ones). RequireStable (v7+): a partition
// with offsets committed in a transaction that has not ended yet answers UNSTABLE_OFFSET_COMMIT (retriable), as
// in Kafka, so a read_committed consumer does not start from an offset that is about to change.
import {
  ApiKey,
  ErrorCode,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponsePartition,
  type OffsetFetchResponseTopic,
} from '@tributary/protocol';
import type { OffsetFetchResult } from '../coordinator/offset-manager';
import { defineHandler } from './handler';

type Wanted = { name: string; partitions: number[] }[] | null;

export const offsetFetch = defineHandler<OffsetFetchRequest, OffsetFetchResponse>(ApiKey.OffsetFetch, { min: 0, max: 9 }, (req, ctx) => {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groups;
  const wanted = (topics: { name: string; partitionIndexes: number[] }[] | null): Wanted =>
    topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
  if (v >= 8) {
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: 0,
      groups: req.groups.map((g) => {
        const r = stable(ctx.broker.transactions.offsets, g.groupId, groups.fetchOffsets(g.groupId, wanted(g.topics)), req.requireStable);
        return { groupId: g.groupId, errorCode: r.errorCode, topics: encodeTopics(r, null, false) };
      }),
    };
  }
  const topics = wanted(v >= 2 ? req.topics : (req.topics ?? []));
  const r = stable(ctx.broker.transactions.offsets, req.groupId, groups.fetchOffsets(req.groupId, topics), v >= 7 && req.requireStable);
  return { throttleTimeMs: 0, topics: encodeTopics(r, topics, v < 2), errorCode: r.errorCode, groups: [] };
});

/** With RequireStable, partitions with pending transactional offsets answer UNSTABLE_OFFSET_COMMIT. */
function stable(pending: { hasPending(g: string, t: string, p: number): boolean }, groupId: string, r: OffsetFetchResult, requireStable: boolean): OffsetFetchResult {
  if (!requireStable) return r;
  const unstable = { offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
  return {
    ...r,
    topics: r.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => (pending.hasPending(groupId, t.name, p.partition) ? { ...p, ...unstable } : p)) })),
  };
}

/** Before v2 a group-level error is reported in every requested partition. */
function encodeTopics(r: OffsetFetchResult, requested: Wanted, errorPerPartition: boolean): OffsetFetchResponseTopic[] {
  if (errorPerPartition && r.errorCode !== 0 && requested) {
    return requested.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
    }));
  }
  return r.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map(
      (p): OffsetFetchResponsePartition => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        errorCode: p.errorCode,
      }),
    ),
  }));
}
