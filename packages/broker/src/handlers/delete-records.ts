// DeleteRecords (key 21), v0-v2. Moves a partition's log start offset (the low watermark) up to the requested
// offset; -1 means the high watermark. As in Kafka (ReplicaManager/Partition.deleteRecordsOnLeader): internal topics
// are refused (INVALID_TOPIC_EXCEPTION), a topic whose cleanup.policy lacks "delete" is POLICY_VIOLATION, an offset
// below 0 or above the high watermark OFFSET_OUT_OF_RANGE, an unknown partition UNKNOWN_TOPIC_OR_PARTITION. An offset
// below the current low watermark changes nothing. Each partition answers with the resulting low watermark (-1 on
// error). Whole segments below the new start are deleted by the log.
import { ApiKey, ErrorCode, KafkaProtocolError, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@tributary/protocol';
import { INTERNAL_TOPICS } from '../domain/topics';
import { defineHandler } from './handler';

const HIGH_WATERMARK = -1n;

export const deleteRecords = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>(ApiKey.DeleteRecords, { min: 0, max: 2 }, async (req, ctx) => {
  const { logs } = ctx.broker;
  const topics: DeleteRecordsResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: DeleteRecordsResponse['topics'][number]['partitions'] = [];
    for (const p of t.partitions) {
      const failed = (errorCode: number) => partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode });
      const log = logs.log(t.name, p.partitionIndex);
      if (INTERNAL_TOPICS.has(t.name)) failed(ErrorCode.INVALID_TOPIC_EXCEPTION);
      else if (!log) failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      else if (!log.config.deleteEnabled) failed(ErrorCode.POLICY_VIOLATION);
      else {
        const offset = p.offset === HIGH_WATERMARK ? log.highWatermark : p.offset;
        try {
          if (offset < 0n) throw new KafkaProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE);
          const lowWatermark = await log.deleteRecordsBefore(offset);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 });
        } catch (err) {
          if (!(err instanceof KafkaProtocolError)) throw err;
          failed(err.code);
        }
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
});
