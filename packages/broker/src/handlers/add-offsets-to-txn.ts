// AddOffsetsToTxn (key 25), v0-4: puts a consumer group's offsets into the producer's transaction, i.e. adds the
// group's __consumer_offsets partition to it (as Kafka does), so EndTxn writes a marker there too and the
// offsets sent with TxnOffsetCommit become visible on commit or are dropped on abort. PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2.
import { ApiKey, ErrorCode, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const addOffsetsToTxn = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, { min: 0, max: 4 }, async (req, ctx) => {
  let errorCode = await ctx.broker.transactions.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
  if (ctx.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
