// OffsetForLeaderEpoch (key 23), v0-v4. One broker has led every partition since it was created, in epoch 0 (the
// epoch Metadata reports and Produce stamps), so the leader-epoch cache of every partition is the single entry
// (epoch 0, log start offset). Answers follow Kafka's LeaderEpochFileCache.endOffsetFor: the current epoch gives
// the log end offset; a larger epoch, or -1, gives UNDEFINED (-1 epoch, -1 offset); another smaller epoch gives that
// epoch and the start offset of the first epoch after it. currentLeaderEpoch (v2+) fences as Kafka does: -1 skips
// the check, older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH. Unknown partitions:
// UNKNOWN_TOPIC_OR_PARTITION.
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '@tributary/protocol';
import type { PartitionLog } from '../log';
import { defineHandler } from './handler';

type EpochEndOffset = OffsetForLeaderEpochResponseEpochEndOffset;

const UNDEFINED_EPOCH = -1;
const UNDEFINED_OFFSET = -1n;

export const offsetForLeaderEpoch = defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
  ApiKey.OffsetForLeaderEpoch,
  { min: 0, max: 4 },
  (req, ctx) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p): EpochEndOffset => {
        const log = ctx.broker.logs.log(t.topic, p.partition);
        if (!log) return answer(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const current = log.leaderEpoch;
        if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch < current) return answer(p.partition, ErrorCode.FENCED_LEADER_EPOCH);
        if (p.currentLeaderEpoch !== -1 && p.currentLeaderEpoch > current) return answer(p.partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
        try {
          return endOffsetFor(log, p.partition, p.leaderEpoch);
        } catch (err) {
          if (err instanceof KafkaProtocolError) return answer(p.partition, err.code);
          throw err;
        }
      }),
    })),
  }),
);

function endOffsetFor(log: PartitionLog, partition: number, requested: number): EpochEndOffset {
  log.checkAvailable();
  const current = log.leaderEpoch;
  if (requested === UNDEFINED_EPOCH || requested > current) return answer(partition, 0);
  if (requested === current) return answer(partition, 0, current, log.logEndOffset);
  return answer(partition, 0, requested, log.logStartOffset);
}

function answer(partition: number, errorCode: number, leaderEpoch = UNDEFINED_EPOCH, endOffset = UNDEFINED_OFFSET): EpochEndOffset {
  return { errorCode, partition, leaderEpoch, endOffset };
}
