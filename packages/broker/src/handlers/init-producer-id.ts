// InitProducerId (key 22), v0-5. Without a transactional id: a fresh producer id at epoch 0 (an idempotent
// producer; Kafka ignores the id/epoch a v3+ request may carry then). With one: the transaction coordinator's
// id and next epoch for it, after aborting a transaction it still has open (answered CONCURRENT_TRANSACTIONS, the
// client retries); INVALID_TRANSACTION_TIMEOUT outside (0, transaction.max.timeout.ms]. v3+ may carry the
// producer's current id and epoch (KIP-360) to bump its epoch after an error instead of being fenced; giving
// only one of the two is INVALID_REQUEST. PRODUCER_FENCED exists from v4; older versions get
// INVALID_PRODUCER_EPOCH instead.
import { ApiKey, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const initProducerId = defineHandler<InitProducerIdRequest, InitProducerIdResponse>(ApiKey.InitProducerId, { min: 0, max: 5 }, async (req, ctx) => {
  const v = ctx.apiVersion;
  let expected: { producerId: bigint; producerEpoch: number } | undefined;
  if (v >= 3 && (req.producerId !== -1n || req.producerEpoch !== -1)) {
    if (req.producerId === -1n || req.producerEpoch === -1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    expected = { producerId: req.producerId, producerEpoch: req.producerEpoch };
  }
  const r = await ctx.broker.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
  const errorCode = v < 4 && r.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
  return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
});
