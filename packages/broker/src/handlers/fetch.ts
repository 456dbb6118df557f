// Fetch (key 1), v4-v17 (record batch v2 clients; v13+ name topics by id). Long-polls: when fewer than
// MinBytes are available the request waits, woken by appends to any fetched partition, until MinBytes arrive
// or MaxWaitMs passes, and is always answered. Reads return whole batches starting at the batch holding the
// fetch offset (clients skip earlier records), bounded by the partition's and the response's MaxBytes, except
// that the first partition with data returns at least one batch even when larger (KIP-74). read_committed
// (IsolationLevel 1) reads up to the last stable offset (the first offset of the earliest open transaction, else
// the high watermark) and lists the aborted transactions overlapping the returned batches, for the client to skip;
// read_uncommitted sees everything, aborted records included.
// Fetch sessions (KIP-227) are declined: SessionId 0 is answered, which makes clients send full requests.
// Large record sets are not copied into the response: `encodeResponse` returns the frame in pieces (see below).
import { randomBytes } from 'node:crypto';
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  Writer,
  encodeResponse,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '@tributary/protocol';
import type { PartitionLog } from '../log/partition-log';
import { defineHandler, type Handler, type RequestContext } from './handler';

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

const handleFetch = defineHandler<FetchRequest, FetchResponse>(ApiKey.Fetch, { min: 4, max: 17 }, async (req, ctx) => {
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
    const woke = await waitForAppend(targets, deadline, ctx.signal);
    if (!woke) break;
    result = await readAll(ctx, targets, req.maxBytes, readCommitted);
  }
  targets.forEach((t, i) => responses[t.topicIndex].partitions.push(result.partitions[i]));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
});

export const fetch: Handler<FetchRequest, FetchResponse> & { encodeResponse: typeof encodeFetchResponse } = {
  ...handleFetch,
  encodeResponse: encodeFetchResponse,
};

/** Record sets at least this large are sent as their own buffers; smaller ones are cheaper to copy. */
const GATHER_MIN_BYTES = 16 * 1024;
const MARKER_BYTES = 16;
/** Stands in for a record set while the response is encoded; random, so no client can put it in a record. */
const MARKER = randomBytes(MARKER_BYTES);

/**
 * Encodes the response frame without copying large record sets: returns the frame as pieces (encoded fields, a
 * record set as read from the log, more encoded fields, ...) for the transport to write in order. Each large
 * record set is encoded as the same random 16-byte marker; the markers are found again, in order, in the (small)
 * encoded frame, and each one's length prefix is rewritten for the real size: int32 before v12, uvarint(length + 1)
 * from v12 (flexible versions). The frame's size prefix is rewritten last.
 */
export function encodeFetchResponse(apiVersion: number, correlationId: number, response: FetchResponse): Buffer | Buffer[] {
  const gathered: Buffer[] = [];
  const marker = MARKER;
  const body: FetchResponse = {
    ...response,
    responses: response.responses.map((t) => ({
      ...t,
      partitions: t.partitions.map((p) => {
        if (!p.records || p.records.length < GATHER_MIN_BYTES) return p;
        gathered.push(p.records);
        return { ...p, records: marker };
      }),
    })),
  };
  if (gathered.length === 0) return encodeResponse(ApiKey.Fetch, apiVersion, correlationId, response);
  const frame = encodeResponse(ApiKey.Fetch, apiVersion, correlationId, body);
  const flexible = apiVersion >= 12;
  const pieces: Buffer[] = [];
  let from = 0;
  let size = frame.length - 4;
  for (const records of gathered) {
    const at = frame.indexOf(marker, from);
    if (at < 0 || (flexible ? frame[at - 1] !== MARKER_BYTES + 1 : frame.readInt32BE(at - 4) !== MARKER_BYTES)) {
      throw new Error('fetch response: record set marker not found where expected');
    }
    if (flexible) {
      const prefix = new Writer(5).uvarint(records.length + 1).finish();
      pieces.push(frame.subarray(from, at - 1), prefix);
      size += prefix.length - 1;
    } else {
      frame.writeInt32BE(records.length, at - 4);
      pieces.push(frame.subarray(from, at));
    }
    pieces.push(records);
    size += records.length - MARKER_BYTES;
    from = at + MARKER_BYTES;
  }
  if (from < frame.length) pieces.push(frame.subarray(from));
  frame.writeInt32BE(size, 0); // the frame's size prefix, in pieces[0]
  return pieces;
}

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
    const lso = log.lastStableOffset;
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
        abortedTransactions: readCommitted ? abortedIn(log, t.fetchOffset, r.records) : null,
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

/** The aborted transactions a read_committed client needs to filter the returned batches. */
function abortedIn(log: PartitionLog, fetchOffset: bigint, records: Buffer): { producerId: bigint; firstOffset: bigint }[] {
  let upper = -1n;
  for (let p = 0; p + 61 <= records.length; p += records.readInt32BE(p + 8) + 12) {
    upper = records.readBigInt64BE(p) + BigInt(records.readInt32BE(p + 23)) + 1n; // baseOffset + lastOffsetDelta + 1
  }
  if (upper < 0n) return [];
  return log.abortedTransactions(fetchOffset, upper).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
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

/**
 * Resolves true when any of the targets' logs is appended to, false at the deadline or as soon as the client's
 * connection closes (a long-poll never outlives its connection, whatever MaxWaitMs says).
 */
function waitForAppend(targets: Target[], deadline: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const unsubscribe: (() => void)[] = [];
    let settled = false;
    const done = (woke: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const u of unsubscribe) u();
      resolve(woke);
    };
    const onAbort = () => done(false);
    signal.addEventListener('abort', onAbort);
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
