// Test support for compaction: a LogManager on a manual clock with the cleaner's timer and retention off, keyed
// batches, and a consumer-like reader that walks a partition from its start the way clients do (next fetch offset
// = the last batch's last offset + 1, records below the fetch offset skipped).
import { decodeRecordBatches } from '@tributary/protocol';
import { LogManager, type PartitionLog } from '../../src/log';
import { CapturingLogger, ManualClock, TestSync } from './log-test-support';
import { buildBatch, type BatchOptions } from './record-batch-builder';

/** Whole seconds near the real time: an emptied segment keeps its file's modification time (as in Kafka), which
 *  retention then compares with this clock. */
export const T0 = Math.floor(Date.now() / 1000) * 1000;

export interface Env {
  mgr: LogManager;
  clock: ManualClock;
  logger: CapturingLogger;
  /** The fsync every file of the manager goes through (can be gated). */
  sync: TestSync;
}

export async function openManager(
  dataDir: string,
  brokerConfig: Record<string, string> = {},
  clock = new ManualClock(T0),
  sync = new TestSync(),
): Promise<Env> {
  const logger = new CapturingLogger();
  const mgr = await LogManager.open({
    dataDir,
    brokerConfig: { 'log.retention.check.interval.ms': '0', 'log.cleaner.enable': 'false', ...brokerConfig },
    logger,
    clock: clock.fn,
    sync: sync.fn,
  });
  return { mgr, clock, logger, sync };
}

/** Topic configs for compaction tests: compact, small segments, everything due at once. */
export const COMPACT: Record<string, string> = {
  'cleanup.policy': 'compact',
  'segment.bytes': '2048',
  'min.cleanable.dirty.ratio': '0.01',
  'file.delete.delay.ms': '0',
};

export type KV = [key: string | null, value: string | null];

/** One batch of keyed records, timestamps from `ts` (default: T0). */
export function keyed(records: readonly KV[], opts: BatchOptions & { ts?: number } = {}): Buffer {
  const ts = BigInt(opts.ts ?? T0);
  return buildBatch(
    records.map(([key, value], i) => ({ key, value, timestamp: ts + BigInt(i) })),
    { baseTimestamp: ts, ...opts },
  );
}

export interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
}

export interface ReadBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  attributes: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  baseSequence: number;
  isControl: boolean;
  records: ReadRecord[];
}

/** Reads the whole partition as a consumer would, from its log start to its end. */
export async function readAll(log: PartitionLog, maxBytes = 4096): Promise<{ batches: ReadBatch[]; records: ReadRecord[]; fetches: number }> {
  const batches: ReadBatch[] = [];
  let offset = log.logStartOffset;
  let fetches = 0;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, maxBytes);
    fetches++;
    if (records.length === 0) throw new Error(`no data at ${offset} below the log end ${log.logEndOffset}`);
    for (const b of decodeRecordBatches(records).batches) {
      if (b.lastOffset < offset) continue;
      batches.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        attributes: b.attributes,
        baseTimestamp: b.baseTimestamp,
        maxTimestamp: b.maxTimestamp,
        producerId: b.producerId,
        baseSequence: b.baseSequence,
        isControl: b.isControl,
        records: b.records
          .filter((r) => r.offset >= offset)
          .map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp })),
      });
      offset = b.lastOffset + 1n;
    }
  }
  return { batches, records: batches.flatMap((b) => (b.isControl ? [] : b.records)), fetches };
}

/** key -> last value, reading records in offset order (a null value deletes the key). */
export function latestValues(records: readonly { key: string | null; value: string | null }[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}
