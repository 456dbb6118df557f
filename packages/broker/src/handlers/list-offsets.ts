// ListOffsets (key 2), v0-v9. Timestamps: -2 earliest (log start offset), -1 latest (high watermark, or the
// last stable offset for read_committed, v2+), -3 the record with the largest timestamp (v7+, KIP-734),
// -4 earliest local (v8+: no tiered storage, so the log start offset), -5 latest tiered (v9+: none, so -1),
// otherwise the earliest offset whose timestamp is >= the given one (-1 offset when there is none).
// v0 answers with `oldStyleOffsets` (at most MaxNumOffsets of them, newest first).
import { ApiKey, ErrorCode, KafkaProtocolError, type ListOffsetsRequest, type ListOffsetsResponse } from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log';
import { defineHandler } from './handler';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

export const listOffsets = defineHandler<ListOffsetsRequest, ListOffsetsResponse>(ApiKey.ListOffsets, { min: 0, max: 9 }, (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionResponse => {
      const log = ctx.broker.logs.log(t.name, p.partitionIndex);
      if (!log) return result(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      try {
        const hit = lookup(log, p.timestamp, req.isolationLevel === 1);
        if (ctx.apiVersion === 0) {
          const offsets = hit.offset < 0n ? [] : [hit.offset];
          return { ...result(p.partitionIndex, 0), oldStyleOffsets: offsets.slice(0, Math.max(0, p.maxNumOffsets)) };
        }
        return { ...result(p.partitionIndex, 0), timestamp: hit.timestamp, offset: hit.offset, leaderEpoch: hit.offset < 0n ? -1 : 0 };
      } catch (err) {
        if (err instanceof KafkaProtocolError) return result(p.partitionIndex, err.code);
        throw err;
      }
    }),
  })),
}));

function lookup(log: PartitionLog, timestamp: bigint, readCommitted: boolean): { offset: bigint; timestamp: bigint } {
  switch (timestamp) {
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: log.logStartOffset, timestamp: -1n };
    case LATEST:
      return { offset: readCommitted ? lastStableOffset(log) : log.highWatermark, timestamp: -1n };
    case LATEST_TIERED:
      return { offset: -1n, timestamp: -1n };
    case MAX_TIMESTAMP:
      return log.offsetOfMaxTimestamp() ?? { offset: -1n, timestamp: -1n };
    default:
      return log.offsetForTimestamp(timestamp) ?? { offset: -1n, timestamp: -1n };
  }
}

/** The first offset of the earliest open transaction, else the high watermark. */
function lastStableOffset(log: PartitionLog): bigint {
  return log.lastStableOffset;
}

function result(partitionIndex: number, errorCode: number): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}
