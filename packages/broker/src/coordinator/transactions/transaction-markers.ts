// Writing a decided transaction's markers: one COMMIT or ABORT control batch (Kafka's EndTransactionMarker, with
// the producer's id and epoch and coordinator epoch 0: a single broker never changes coordinator) appended with
// acks=-1 and origin 'coordinator' to every partition of the transaction, including the __consumer_offsets
// partition of a group whose offsets were committed in it. The partition logs validate and apply them (end of
// the producer's open transaction, last stable offset, transaction index).
// A partition whose topic no longer exists is skipped (Kafka drops its pending marker too). Any other failure
// (storage error, a log closing) leaves the partition in the returned retry list: a transaction is only
// completed once every existing partition holds its marker, or its data would stay unstable forever.
import { ControlRecordType, encodeTransactionMarkerBatch } from '@tributary/protocol';
import type { Logger } from 'pino';
import { isLogError } from '../../log/log-errors';
import type { LogManager } from '../../log/log-manager';
import { splitPartitionKey } from './transaction-metadata';

export const COORDINATOR_EPOCH = 0;

export interface MarkerSpec {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
}

/** Appends the marker to each partition; resolves with the partitions that must be retried. */
export async function writeMarkers(logs: LogManager, partitions: readonly string[], spec: MarkerSpec, logger: Logger): Promise<string[]> {
  const retry: string[] = [];
  await Promise.all(
    partitions.map(async (key) => {
      const { topic, partition } = splitPartitionKey(key);
      const log = logs.log(topic, partition);
      if (!log) {
        logger.info({ topic, partition, producerId: String(spec.producerId) }, 'skipping the transaction marker of a partition that no longer exists');
        return;
      }
      const batch = encodeTransactionMarkerBatch({
        producerId: spec.producerId,
        producerEpoch: spec.producerEpoch,
        type: spec.commit ? ControlRecordType.Commit : ControlRecordType.Abort,
        coordinatorEpoch: COORDINATOR_EPOCH,
        timestamp: BigInt(Date.now()),
      });
      try {
        await log.append(batch, { acks: -1, origin: 'coordinator' });
      } catch (err) {
        if (!logs.log(topic, partition)) return; // deleted meanwhile
        // a stale epoch or coordinator epoch means a newer marker already ended this producer's transaction
        if (isLogError(err, 'INVALID_PRODUCER_EPOCH') || isLogError(err, 'TRANSACTION_COORDINATOR_FENCED')) {
          logger.warn({ topic, partition, err: (err as Error).message }, 'transaction marker refused by the partition');
          return;
        }
        logger.warn({ topic, partition, err: (err as Error).message }, 'could not write a transaction marker; will retry');
        retry.push(key);
      }
    }),
  );
  return retry;
}
