// Fetch (key 1), v4-v17 (record batch v2 clients; v13+ name topics by id). Long-polls: when fewer than
// MinBytes are available the request waits, woken by appends to any fetched partition, until MinBytes arrive
// or MaxWaitMs passes, and is always answered. Reads return whole batches starting at the batch holding the
// fetch offset (clients skip earlier records), bounded by the partition's and the response's MaxBytes, except
// that the first partition with data returns at least one batch even when larger (KIP-74). read_committed
// (IsolationLevel 1) reads up to the last stable offset; with no transactions that is the high watermark.
// Fetch sessions (KIP-227) are declined: SessionId 0 is answered, which makes clients send full requests.
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log';
import { defineHandler, type RequestContext } from './handler';

interface Target {
  topicIndex: number;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  log: PartitionLog | undefined;
  unknownError: number;
}

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };
const NO_EPOCH = { epoch: -1, endOffset: -1n };
const NO_SNAPSHOT = { endOffset: -1n, epoch: -1 };

export const fetch = defineHandler<FetchRequest, FetchResponse>(ApiKey.Fetch, { min: 4, max: 17 }, async (req, ctx) => {
  const byId = ctx.apiVersion >= 13;
  const targets: Target[] = [];
  const responses = req.topics.map((t, topicIndex) => {
    const info = byId ? ctx.broker.logs.topicById(t.topicId) : ctx.broker.logs.topic(t.topic);
    for (const p of t.partitions) {
      const log = info ? ctx.broker.logs.log(info.name, p.partition) : undefined;
      targets.push({
        topicIndex,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        log,
        unknownError: byId && !info ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      });
    }
    return { topic: t.topic, topicId: t.topicId, partitions: [] as FetchResponsePartitionData[] };
  });

  const readCommitted = req.isolationLevel === 1;
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  let result = await readAll(ctx, targets, req.maxBytes, readCommitted);
  while (result.bytes < req.minBytes && !result.error && Date.now() < deadline) {
    const woke = await waitForAppend(targets, deadline);
    if (!woke) break;
    result = await readAll(ctx, targets, req.maxBytes, readCommitted);
  }
  targets.forEach((t, i) => responses[t.topicIndex].partitions.push(result.partitions[i]));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
});

async function readAll(ctx: RequestContext, targets: Target[], responseMaxBytes: number, readCommitted: boolean) {
  let bytes = 0;
  let error = false;
  const partitions: FetchResponsePartitionData[] = [];
  for (const t of targets) {
    if (!t.log) {
      partitions.push(partitionError(t.partition, t.unknownError));
      error = true;
      continue;
    }
    const log = t.log;
    const hw = log.highWatermark;
    const lso = hw; // no transactions yet: the last stable offset is the high watermark
    const budget = Math.max(0, Math.min(t.maxBytes, responseMaxBytes - bytes));
    try {
      const r = await log.read(t.fetchOffset, budget, { maxOffset: readCommitted ? lso : hw, minOneBatch: bytes === 0 });
      bytes += r.records.length;
      partitions.push({
        partitionIndex: t.partition,
        errorCode: 0,
        highWatermark: r.highWatermark,
        lastStableOffset: lso,
        logStartOffset: r.logStartOffset,
        divergingEpoch: NO_EPOCH,
        currentLeader: NO_LEADER,
        snapshotId: NO_SNAPSHOT,
        abortedTransactions: readCommitted ? [] : null,
        preferredReadReplica: -1,
        records: r.records,
      });
    } catch (err) {
      if (!(err instanceof KafkaProtocolError)) {
        ctx.broker.logger.error({ err, partition: t.partition }, 'fetch read failed');
      }
      partitions.push({
        ...partitionError(t.partition, err instanceof KafkaProtocolError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR),
        highWatermark: hw,
        lastStableOffset: lso,
        logStartOffset: log.logStartOffset,
      });
      error = true;
    }
  }
  return { partitions, bytes, error };
}

function partitionError(partitionIndex: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: NO_EPOCH,
    currentLeader: NO_LEADER,
    snapshotId: NO_SNAPSHOT,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
}

/** Resolves true when any of the targets' logs is appended to, false at the deadline. */
function waitForAppend(targets: Target[], deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const unsubscribe: (() => void)[] = [];
    const done = (woke: boolean) => {
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve(woke);
    };
    const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
    const seen = new Set<PartitionLog>();
    for (const t of targets) {
      if (t.log && !seen.has(t.log)) {
        seen.add(t.log);
        unsubscribe.push(t.log.onAppend(() => done(true)));
      }
    }
  });
}
