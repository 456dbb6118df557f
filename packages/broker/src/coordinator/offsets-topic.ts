// The group coordinator's log: the internal compacted topic __consumer_offsets, created on first use with
// `offsets.topic.num.partitions` partitions (cleanup.policy=compact, segment.bytes=offsets.topic.segment.bytes).
// A write is one uncompressed RecordBatch per call, appended with acks=-1 (answered once fsynced) to the group's
// partition, so a group's records (an OffsetCommit's offsets, or metadata plus offset tombstones) land atomically
// and in order. Replay reads every partition from its start and hands each record, in offset order, to the
// caller, which keeps the last value per key and honours tombstones (compaction itself is not done here).
import { ErrorCode, KafkaProtocolError, decodeRecordBatches, encodeRecordBatch, type RecordInput } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { LogManager } from '../log/log-manager';
import { OFFSETS_TOPIC, decodeCoordinatorRecord, encodeCoordinatorRecord, partitionForGroup, type CoordinatorRecord } from './coordinator-records';

const REPLAY_READ_BYTES = 1 << 20;

export interface OffsetsTopicOptions {
  logs: LogManager;
  numPartitions: number;
  segmentBytes: number;
  logger: Logger;
}

export class OffsetsTopic {
  private creating: Promise<void> | undefined;

  constructor(private readonly opts: OffsetsTopicOptions) {}

  /** Partitions of the topic as it exists, else as configured (what it will be created with). */
  get partitions(): number {
    return this.opts.logs.topic(OFFSETS_TOPIC)?.partitions ?? this.opts.numPartitions;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitions);
  }

  get exists(): boolean {
    return this.opts.logs.topic(OFFSETS_TOPIC) !== undefined;
  }

  /** Creates the topic if it does not exist yet (concurrent callers share one creation). */
  ensure(): Promise<void> {
    if (this.exists) return Promise.resolve();
    this.creating ??= (async () => {
      try {
        await this.opts.logs.createTopic(OFFSETS_TOPIC, {
          partitions: this.opts.numPartitions,
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.opts.segmentBytes), 'compression.type': 'producer' },
        });
        this.opts.logger.info({ topic: OFFSETS_TOPIC, partitions: this.opts.numPartitions }, 'created the offsets topic');
      } catch (err) {
        if (!this.exists) throw err;
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }

  /** Appends the records to the group's partition (acks=-1). Rejects with the log's error (a KafkaProtocolError or an I/O error). */
  async append(groupId: string, records: readonly CoordinatorRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensure();
    const partition = this.partitionFor(groupId);
    const log = this.opts.logs.log(OFFSETS_TOPIC, partition);
    if (!log) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${OFFSETS_TOPIC}-${partition} does not exist`);
    const timestamp = BigInt(Date.now());
    const inputs: RecordInput[] = records.map((r) => ({ ...encodeCoordinatorRecord(r), timestamp }));
    await log.append(encodeRecordBatch({ records: inputs }), { acks: -1 });
  }

  /** Reads every record of every partition in order; undecodable records are logged and skipped. */
  async replay(apply: (record: CoordinatorRecord) => void): Promise<number> {
    const topic = this.opts.logs.topic(OFFSETS_TOPIC);
    if (!topic) return 0;
    let count = 0;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.opts.logs.log(OFFSETS_TOPIC, p);
      if (!log) continue;
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const { records } = await log.read(offset, REPLAY_READ_BYTES);
        const { batches } = decodeRecordBatches(records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          if (!batch.isControl) {
            for (const rec of batch.records) {
              if (rec.offset < offset || rec.key === null) continue;
              try {
                const decoded = decodeCoordinatorRecord(rec.key, rec.value);
                if (decoded) {
                  apply(decoded);
                  count++;
                }
              } catch (err) {
                this.opts.logger.warn({ partition: p, offset: String(rec.offset), err: (err as Error).message }, 'skipping an unreadable offsets-topic record');
              }
            }
          }
          if (batch.lastOffset + 1n > offset) offset = batch.lastOffset + 1n;
        }
      }
    }
    return count;
  }
}

/**
 * The error a coordinator request reports when its write to __consumer_offsets failed (Kafka's
 * appendGroupMetadataErrorToResponseError and its offset-commit counterpart).
 */
export function appendErrorCode(err: unknown, kind: 'group' | 'offsets'): number {
  if (!(err instanceof KafkaProtocolError)) return ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (err.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return kind === 'group' ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return err.code;
  }
}
