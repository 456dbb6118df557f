// The transaction coordinator's log: the internal compacted topic __transaction_state, created on first use with
// `transaction.state.log.num.partitions` partitions (cleanup.policy=compact, segment.bytes =
// transaction.state.log.segment.bytes). A transactional id lives in partition abs(javaHashCode(id)) % partitions,
// as in Kafka. Records use Kafka's own formats: key = int16 version 0 + TransactionLogKey {transactionalId};
// value = int16 version 0 + TransactionLogValue (producer id and epoch, timeout, state, partitions by topic
// — null while Empty —, last-update and start timestamps); a null value is a tombstone (expired id).
// Every transition is one record appended with acks=-1 before it takes effect; replay keeps the last value per id.
import { ErrorCode, KafkaProtocolError, Reader, TransactionLogKey, TransactionLogValue, Writer, decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { LogManager } from '../../log/log-manager';
import { partitionForGroup } from '../coordinator-records';
import { partitionKey, splitPartitionKey, TxnState, type TxnSnapshot } from './transaction-metadata';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const KEY_VERSION = 0;
const VALUE_VERSION = 0;
const REPLAY_READ_BYTES = 1 << 20;

export function encodeTxnRecord(transactionalId: string, s: TxnSnapshot | null): { key: Buffer; value: Buffer | null } {
  const kw = new Writer(32);
  kw.int16(KEY_VERSION);
  TransactionLogKey.encode(kw, { transactionalId }, KEY_VERSION);
  if (!s) return { key: Buffer.from(kw.finish()), value: null };
  const byTopic = new Map<string, number[]>();
  for (const k of s.partitions) {
    const { topic, partition } = splitPartitionKey(k);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  const vw = new Writer(64);
  vw.int16(VALUE_VERSION);
  TransactionLogValue.encode(
    vw,
    {
      producerId: s.producerId,
      previousProducerId: -1n,
      nextProducerId: -1n,
      producerEpoch: s.producerEpoch,
      transactionTimeoutMs: s.txnTimeoutMs,
      transactionStatus: s.state,
      transactionPartitions: s.state === TxnState.Empty ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: s.txnLastUpdateTimestamp,
      transactionStartTimestampMs: s.txnStartTimestamp,
      clientTransactionVersion: 0,
    },
    VALUE_VERSION,
  );
  return { key: Buffer.from(kw.finish()), value: Buffer.from(vw.finish()) };
}

/** Decodes one record; undefined for key versions this coordinator does not know (Kafka skips them too). */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): { transactionalId: string; value: TxnSnapshot | null } | undefined {
  const kr = new Reader(key);
  if (kr.int16() !== KEY_VERSION) return undefined;
  const { transactionalId } = TransactionLogKey.decode(kr, KEY_VERSION);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  const v = TransactionLogValue.decode(vr, Math.min(version, TransactionLogValue.maxVersion));
  const partitions = (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((p) => partitionKey(t.topic, p)));
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      producerEpoch: v.producerEpoch,
      txnTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      txnStartTimestamp: v.transactionStartTimestampMs,
      txnLastUpdateTimestamp: v.transactionLastUpdateTimestampMs,
    },
  };
}

export interface TransactionStateTopicOptions {
  logs: LogManager;
  numPartitions: number;
  segmentBytes: number;
  logger: Logger;
}

export class TransactionStateTopic {
  private creating: Promise<void> | undefined;

  constructor(private readonly opts: TransactionStateTopicOptions) {}

  get partitions(): number {
    return this.opts.logs.topic(TRANSACTION_STATE_TOPIC)?.partitions ?? this.opts.numPartitions;
  }

  partitionFor(transactionalId: string): number {
    return partitionForGroup(transactionalId, this.partitions);
  }

  /** Creates the topic if needed (concurrent callers share one creation). */
  ensure(): Promise<void> {
    if (this.opts.logs.topic(TRANSACTION_STATE_TOPIC)) return Promise.resolve();
    this.creating ??= (async () => {
      try {
        await this.opts.logs.createTopic(TRANSACTION_STATE_TOPIC, {
          partitions: this.opts.numPartitions,
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.opts.segmentBytes), 'compression.type': 'producer' },
        });
        this.opts.logger.info({ topic: TRANSACTION_STATE_TOPIC, partitions: this.opts.numPartitions }, 'created the transaction state topic');
      } catch (err) {
        if (!this.opts.logs.topic(TRANSACTION_STATE_TOPIC)) throw err;
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }

  /** Appends one transactional id's new state (or a tombstone) to its partition, acks=-1. */
  async append(transactionalId: string, s: TxnSnapshot | null): Promise<void> {
    await this.ensure();
    const partition = this.partitionFor(transactionalId);
    const log = this.opts.logs.log(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${TRANSACTION_STATE_TOPIC}-${partition} does not exist`);
    const record = { ...encodeTxnRecord(transactionalId, s), timestamp: BigInt(Date.now()) };
    await log.append(encodeRecordBatch({ records: [record] }), { acks: -1 });
  }

  /** Reads every partition from its start; the caller keeps the last value per id. */
  async replay(apply: (transactionalId: string, s: TxnSnapshot | null) => void): Promise<number> {
    const topic = this.opts.logs.topic(TRANSACTION_STATE_TOPIC);
    if (!topic) return 0;
    let count = 0;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.opts.logs.log(TRANSACTION_STATE_TOPIC, p);
      if (!log) continue;
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const { batches } = decodeRecordBatches((await log.read(offset, REPLAY_READ_BYTES)).records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          for (const rec of batch.isControl ? [] : batch.records) {
            if (rec.offset < offset || rec.key === null) continue;
            try {
              const d = decodeTxnRecord(rec.key, rec.value);
              if (d) {
                apply(d.transactionalId, d.value);
                count++;
              }
            } catch (err) {
              this.opts.logger.warn({ partition: p, offset: String(rec.offset), err: (err as Error).message }, 'skipping an unreadable transaction-state record');
            }
          }
          if (batch.lastOffset + 1n > offset) offset = batch.lastOffset + 1n;
        }
      }
    }
    return count;
  }
}

/** The error a transaction request reports when its write to __transaction_state failed (Kafka's mapping). */
export function txnAppendErrorCode(err: unknown): number {
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
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
