// EndTxn (key 26), v0-4 (v5 is KIP-890's epoch bump per transaction, not offered). Commits or aborts the
// producer's transaction: the decision is written to __transaction_state, then COMMIT/ABORT markers to every
// partition in it (and to the group's __consumer_offsets partition for TxnOffsetCommit offsets), then the
// completion; answered once done. Repeating the same decision after completion is NONE, the other one
// INVALID_TXN_STATE; while the previous EndTxn completes: CONCURRENT_TRANSACTIONS. PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2.
import { ApiKey, ErrorCode, type EndTxnRequest, type EndTxnResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

export const endTxn = defineHandler<EndTxnRequest, EndTxnResponse>(ApiKey.EndTxn, { min: 0, max: 4 }, async (req, ctx) => {
  let errorCode = await ctx.broker.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
  if (ctx.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
});
