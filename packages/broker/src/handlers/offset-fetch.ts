// OffsetFetch (key 9), v0-9: a group's committed offsets (offset, leader epoch v5+, metadata), -1 with no
// metadata for partitions without a commit. v2+ may ask for all committed partitions (topics null) and carry a
// top-level error code (v0-1 report group errors per partition); v8+ ask for several groups at once (the
// member id/epoch of v9 are for KIP-848 groups and are ignored for classic ones). RequireStable (v7+) is
// accepted and ignored: until transactions exist there are no pending transactional offset commits.
import {
  ApiKey,
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
        const r = groups.fetchOffsets(g.groupId, wanted(g.topics));
        return { groupId: g.groupId, errorCode: r.errorCode, topics: encodeTopics(r, null, false) };
      }),
    };
  }
  const topics = wanted(v >= 2 ? req.topics : (req.topics ?? []));
  const r = groups.fetchOffsets(req.groupId, topics);
  return { throttleTimeMs: 0, topics: encodeTopics(r, topics, v < 2), errorCode: r.errorCode, groups: [] };
});

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
