// AddPartitionsToTxn (key 24), v0-3 (v4+ batch several transactions and are broker-to-broker since KIP-890).
// Adds partitions to the producer's transaction (the transaction starts with the first add). As in Kafka, a
// request naming a partition that does not exist fails as a whole: those partitions get
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED; otherwise every partition gets the
// coordinator's one answer (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED — INVALID_PRODUCER_EPOCH below v2 —,
// CONCURRENT_TRANSACTIONS while the previous transaction completes, ...).
import { ApiKey, ErrorCode, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const addPartitionsToTxn = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(
  ApiKey.AddPartitionsToTxn,
  { min: 0, max: 3 },
  async (req, ctx) => {
    const topics = req.v3AndBelowTopics;
    const exists = (topic: string, partition: number) => ctx.broker.logs.log(topic, partition) !== undefined;
    const anyMissing = topics.some((t) => t.partitions.some((p) => !exists(t.name, p)));
    let error: number = ErrorCode.OPERATION_NOT_ATTEMPTED;
    if (!anyMissing) {
      const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
      error = await ctx.broker.transactions.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, partitions);
      if (ctx.apiVersion < 2 && error === ErrorCode.PRODUCER_FENCED) error = ErrorCode.INVALID_PRODUCER_EPOCH;
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: anyMissing && !exists(t.name, partitionIndex) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : error,
        })),
      })),
    };
  },
);
