// A transactional control batch holding one COMMIT or ABORT marker, as Kafka's transaction coordinator writes it.
import { ControlRecordType, encodeControlRecordKey, encodeControlRecordValue } from './control-record';
import { encodeRecordBatch, type RecordBatchInput } from './record-batch';

export interface TransactionMarkerInput
  extends Pick<RecordBatchInput, 'baseOffset' | 'partitionLeaderEpoch' | 'producerId' | 'producerEpoch'> {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  coordinatorEpoch: number;
  timestamp: bigint;
}

export function encodeTransactionMarkerBatch(input: TransactionMarkerInput): Buffer {
  return encodeRecordBatch({
    baseOffset: input.baseOffset,
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(input.type),
        value: encodeControlRecordValue(input.coordinatorEpoch),
        timestamp: input.timestamp,
      },
    ],
  });
}
