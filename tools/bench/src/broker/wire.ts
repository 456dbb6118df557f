// Kafka requests the ideal client sends, built once with @tributary/protocol and re-sent as bytes: produce
// requests of one RecordBatch (fixed-size values, null keys, no compression, like the librdkafka runs), and the
// fetch loop that reads a partition from the beginning to the high watermark and round again.
import { randomBytes } from 'node:crypto';
import {
  ApiKey,
  BATCH_OFFSETS,
  LOG_OVERHEAD,
  createFetchRequest,
  createProduceRequest,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  type FetchResponse,
  type ProduceResponse,
} from '@tributary/protocol';
import { ReadClient, hello } from './frame-client';

export const PRODUCE_VERSION = 8; // what kafkajs sends; librdkafka 2.0 sends v7, the same layout
export const FETCH_VERSION = 11; // what librdkafka 2.0 and kafkajs send

export interface ProduceFrame {
  frame: Buffer;
  records: number;
  /** Bytes of record values in the frame. */
  payload: number;
}

/** A produce request holding one batch of `records` values of `size` random bytes, for one partition. */
export function produceFrame(topic: string, partition: number, acks: -1 | 1, size: number, records: number, correlationId = 1): ProduceFrame {
  const value = randomBytes(size);
  const now = BigInt(Date.now());
  const batch = encodeRecordBatch({ records: Array.from({ length: records }, () => ({ key: null, value, headers: [], timestamp: now })) });
  const body = createProduceRequest({
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  return { frame: encodeRequest(ApiKey.Produce, PRODUCE_VERSION, correlationId, 'bench', body), records, payload: records * size };
}

/** How many records of `size` fill a produce request of about `requestBytes` (at least 1). */
export function recordsPerRequest(size: number, requestBytes: number): number {
  const one = produceFrame('t', 0, 1, size, 1).frame.length;
  const perRecord = produceFrame('t', 0, 1, size, 2).frame.length - one;
  return Math.max(1, Math.round((requestBytes - (one - perRecord)) / perRecord));
}

/** Throws unless every partition of a produce response succeeded. */
export function checkProduceResponse(frame: Buffer): void {
  const r = decodeResponse(frame, ApiKey.Produce, PRODUCE_VERSION).body as ProduceResponse;
  for (const t of r.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0) throw new Error(`produce to ${t.name}-${p.index} failed with error ${p.errorCode} ${p.errorMessage ?? ''}`);
    }
  }
}

export interface ReadResult {
  bytes: number;
  seconds: number;
  requests: number;
}

/**
 * Fetches partition 0 of `topic` from offset 0 with one request in flight, `chunkBytes` per request (the
 * partition and response MaxBytes), wrapping to offset 0 at the high watermark, for about `seconds`.
 * Counts the bytes of record batches received.
 */
export async function fetchLoop(port: number, topic: string, chunkBytes: number, seconds: number): Promise<ReadResult> {
  const client = await ReadClient.connect(port);
  try {
    let offset = 0n;
    let bytes = 0;
    let requests = 0;
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    while (performance.now() < stopAt) {
      const req = createFetchRequest({
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: chunkBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: chunkBytes, replicaDirectoryId: '' }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const frame = await client.request(encodeRequest(ApiKey.Fetch, FETCH_VERSION, requests, 'bench', req));
      requests++;
      const res = decodeResponse(frame, ApiKey.Fetch, FETCH_VERSION).body as FetchResponse;
      const p = res.responses[0].partitions[0];
      if (p.errorCode !== 0) throw new Error(`fetch failed with error ${p.errorCode}`);
      const records = p.records ?? Buffer.alloc(0);
      bytes += records.length;
      const next = nextOffset(records);
      offset = next ?? (offset >= p.highWatermark ? 0n : offset);
      if (next === undefined && p.highWatermark === 0n) throw new Error(`${topic} is empty`);
    }
    return { bytes, seconds: (performance.now() - start) / 1000, requests };
  } finally {
    client.close();
  }
}

/** The offset after the last whole batch in `records`, or undefined when there is none. */
function nextOffset(records: Buffer): bigint | undefined {
  let pos = 0;
  let next: bigint | undefined;
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + BATCH_OFFSETS.batchLength);
    if (pos + size > records.length) break;
    next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BATCH_OFFSETS.lastOffsetDelta)) + 1n;
    pos += size;
  }
  return next;
}

/** The consume ceiling: reads `file` through the ceiling server in `chunkBytes` requests, one in flight, wrapping at the end. */
export async function ceilingReadLoop(port: number, file: string, fileBytes: number, chunkBytes: number, seconds: number): Promise<ReadResult> {
  const client = await ReadClient.connect(port, hello('R', file));
  try {
    let position = 0;
    let bytes = 0;
    let requests = 0;
    const req = Buffer.allocUnsafe(12);
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    while (performance.now() < stopAt) {
      const r = Buffer.from(req);
      r.writeBigInt64BE(BigInt(position), 0);
      r.writeInt32BE(chunkBytes, 8);
      const frame = await client.request(r);
      requests++;
      const n = frame.length - 4;
      bytes += n;
      position += n;
      if (position >= fileBytes || n === 0) position = 0;
    }
    return { bytes, seconds: (performance.now() - start) / 1000, requests };
  } finally {
    client.close();
  }
}
