// The durable side of a partition's producer state: the in-memory ProducerStateManager plus its files, Kafka-style
// and next to the segments: `<offset>.snapshot` (producer state below that offset, written on segment roll and on
// clean shutdown) and `<segment base>.txnindex` (aborted transactions, appended as their ABORT markers are).
// Recovery (open/reload) loads the newest readable snapshot at or below the log end and replays the batch headers
// after it, so a crash loses nothing: the replay re-derives producers, open transactions and aborted
// transactions from the log itself. Without a snapshot the replay starts at the first segment.
// The last two snapshots are kept; snapshot and transaction-index files below the first segment are removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_OFFSETS, RECORD_BATCH_HEADER_SIZE } from '@tributary/protocol';
import type { AppendBatch } from './append-validator';
import { BatchScanner } from './batch-scanner';
import type { SyncFn } from './file-io';
import type { LogLogger } from './log-errors';
import { floorSegment } from './log-reads';
import { decodeSnapshot, deleteSnapshot, encodeSnapshot, listSnapshots, snapshotFileName, writeSnapshot } from './producer-snapshot';
import {
  ProducerStateEntry,
  ProducerStateManager,
  readProducerBatch,
  type AppendOrigin,
  type BatchMetadata,
  type PreparedAppend,
  type ProducerBatch,
} from './producer-state';
import type { Segment } from './segment';
import { TXN_INDEX_ENTRY_SIZE, TxnIndexWriter, listTxnIndexFiles, readTxnIndexFile, txnIndexFileName, type AbortedTxn } from './txn-index';

/** Kafka's producer.id.expiration.ms default: producers idle this long (and not in a transaction) are forgotten. */
export const PRODUCER_ID_EXPIRATION_MS = 86_400_000;
const KEEP_SNAPSHOTS = 2;

export interface ProducerStateStoreOptions {
  dir: string;
  sync: SyncFn;
  logger: LogLogger;
  clock: () => number;
  expirationMs?: number;
}

export class ProducerStateStore {
  readonly state = new ProducerStateManager();
  private readonly writers = new Map<bigint, TxnIndexWriter>();
  private chain: Promise<void> = Promise.resolve();
  /** Offset of the newest snapshot written (or loaded); undefined when there is none. */
  private snapshotOffset: bigint | undefined;
  private readonly expirationMs: number;

  private constructor(private readonly opts: ProducerStateStoreOptions) {
    this.expirationMs = opts.expirationMs ?? PRODUCER_ID_EXPIRATION_MS;
  }

  /** Recovers the state of a partition whose segments are already open. */
  static open(opts: ProducerStateStoreOptions, segments: readonly Segment[], logEndOffset: bigint): ProducerStateStore {
    const store = new ProducerStateStore(opts);
    store.recover(segments, logEndOffset);
    return store;
  }

  /** After a truncation: forget everything and recover again from the snapshots at or below the new log end. */
  reload(segments: readonly Segment[], logEndOffset: bigint): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
    this.state.clear();
    this.recover(segments, logEndOffset);
  }

  private recover(segments: readonly Segment[], logEndOffset: bigint): void {
    const { dir, logger } = this.opts;
    const first = segments[0].baseOffset;
    let from = first;
    this.snapshotOffset = undefined;
    for (const offset of listSnapshots(dir).reverse()) {
      if (offset > logEndOffset || offset < first) {
        deleteSnapshot(dir, offset);
        continue;
      }
      if (this.snapshotOffset !== undefined) continue;
      try {
        this.loadSnapshot(fs.readFileSync(path.join(dir, snapshotFileName(offset))));
        this.snapshotOffset = from = offset;
      } catch (e) {
        logger.warn(`${path.join(dir, snapshotFileName(offset))}: unreadable producer snapshot, ignored (${(e as Error).message})`);
        this.state.clear();
        deleteSnapshot(dir, offset);
      }
    }
    this.loadTxnIndexes(first, from);
    const replayed = this.replay(segments, from);
    this.state.removeExpired(this.opts.clock(), this.expirationMs);
    if (replayed > 0) logger.info(`${dir}: rebuilt producer state from ${replayed} batch header(s) after offset ${from}`);
  }

  private loadSnapshot(bytes: Buffer): void {
    let entry: ProducerStateEntry | undefined;
    for (const row of decodeSnapshot(bytes)) {
      if (!entry || entry.producerId !== row.producerId) {
        if (entry) this.state.load(entry);
        entry = this.state.producers.get(row.producerId) ?? new ProducerStateEntry(row.producerId);
      }
      entry.epoch = row.epoch;
      entry.coordinatorEpoch = row.coordinatorEpoch;
      entry.currentTxnFirstOffset = row.currentTxnFirstOffset;
      entry.lastTimestamp = row.timestamp;
      if (row.lastOffset >= 0n) {
        const firstSeq = row.lastSeq - row.offsetDelta < 0 ? row.lastSeq - row.offsetDelta + 2147483647 + 1 : row.lastSeq - row.offsetDelta;
        const b: BatchMetadata = { firstSeq, lastSeq: row.lastSeq, firstOffset: row.lastOffset - BigInt(row.offsetDelta), lastOffset: row.lastOffset, timestamp: row.timestamp };
        entry.batches.push(b);
      }
    }
    if (entry) this.state.load(entry);
  }

  /** Aborted transactions whose marker lies below `until` come from the files; the replay re-derives the rest. */
  private loadTxnIndexes(firstSegmentBase: bigint, until: bigint): void {
    const all: AbortedTxn[] = [];
    for (const { baseOffset, file } of listTxnIndexFiles(this.opts.dir)) {
      if (baseOffset < firstSegmentBase) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const entries = readTxnIndexFile(file);
      const kept = entries.filter((t) => t.lastOffset < until);
      if (kept.length !== entries.length || fs.statSync(file).size !== entries.length * TXN_INDEX_ENTRY_SIZE) this.writer(baseOffset).rewrite(kept);
      all.push(...kept);
    }
    this.state.aborted = all.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
  }

  /** Replays the headers of every batch at or after `from`; returns how many carried producer state. */
  private replay(segments: readonly Segment[], from: bigint): number {
    const scanner = new BatchScanner(256 * 1024);
    let n = 0;
    for (let i = floorSegment(segments, from); i < segments.length; i++) {
      const seg = segments[i];
      if (seg.nextOffset <= from) continue;
      let pos = seg.baseOffset >= from ? 0 : (seg.findBatch(from)?.position ?? seg.size);
      scanner.reset(seg.fd, seg.size);
      for (;;) {
        const h = scanner.header(pos);
        if (!h) break;
        const head = scanner.bytes(pos, RECORD_BATCH_HEADER_SIZE)!;
        const attributes = head.readInt16BE(BATCH_OFFSETS.attributes);
        const stateful = head.readBigInt64BE(BATCH_OFFSETS.producerId) >= 0n || (attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) !== 0;
        if (stateful) {
          const bytes = attributes & ATTR_CONTROL ? scanner.bytes(pos, h.size)! : head;
          const { prepared } = this.state.prepare([readProducerBatch(bytes, 0, bytes.length)], 'replay');
          if (prepared) this.commit(prepared, seg.baseOffset);
          n++;
        }
        pos += h.size;
      }
    }
    return n;
  }

  /** Validates the producer fields of an append (offsets assigned, nothing written yet). */
  prepareAppend(records: Buffer, batches: readonly AppendBatch[], origin: AppendOrigin): { duplicate?: BatchMetadata; prepared?: PreparedAppend } {
    let parsed: ProducerBatch[] | undefined;
    for (const b of batches) {
      if (records.readBigInt64BE(b.position + BATCH_OFFSETS.producerId) < 0n && (b.attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) === 0) continue;
      (parsed ??= []).push(readProducerBatch(records, b.position, b.size));
    }
    return parsed ? this.state.prepare(parsed, origin) : {};
  }

  /** Applies a prepared append; aborted transactions go to the transaction index of the segment holding the marker. */
  commit(prepared: PreparedAppend, segmentBase: bigint): void {
    for (const t of this.state.commit(prepared)) this.writer(segmentBase).append(t);
  }

  private writer(segmentBase: bigint): TxnIndexWriter {
    let w = this.writers.get(segmentBase);
    if (!w) this.writers.set(segmentBase, (w = new TxnIndexWriter(path.join(this.opts.dir, txnIndexFileName(segmentBase)))));
    return w;
  }

  /**
   * Snapshots the current state as of `offset` (the log end: a roll's new base offset, or shutdown). The state is
   * captured now; the files are written in the background, in order: transaction indexes fsynced, then the snapshot.
   */
  snapshot(offset: bigint, firstSegmentBase: bigint): Promise<void> {
    if (this.snapshotOffset === offset) return this.chain;
    this.state.removeExpired(this.opts.clock(), this.expirationMs);
    const bytes = encodeSnapshot(this.state.producers.values());
    this.snapshotOffset = offset;
    const writers = [...this.writers.entries()];
    const { dir, sync, logger } = this.opts;
    const run = async (): Promise<void> => {
      for (const [, w] of writers) await w.sync(sync);
      await writeSnapshot(dir, offset, bytes, sync);
      const snapshots = listSnapshots(dir);
      for (const o of snapshots.slice(0, Math.max(0, snapshots.length - KEEP_SNAPSHOTS))) deleteSnapshot(dir, o);
      for (const [base, w] of writers) {
        if (base >= offset) continue;
        w.close(); // sealed segment: no more markers go there
        this.writers.delete(base);
      }
      // the segments these belonged to were deleted (retention, DeleteRecords): no read can reach their entries
      for (const { baseOffset, file } of listTxnIndexFiles(dir)) if (baseOffset < firstSegmentBase) fs.rmSync(file, { force: true });
    };
    this.chain = this.chain.then(run).catch((e) => {
      if (this.snapshotOffset === offset) this.snapshotOffset = undefined; // the next roll or shutdown tries again
      logger.warn(`${dir}: producer state snapshot at ${offset} failed: ${(e as Error).message}`);
    });
    return this.chain;
  }

  /** Drops state no read can reach once the log start moved (retention, DeleteRecords). */
  onLogStartOffset(logStartOffset: bigint): void {
    this.state.trimAborted(logStartOffset);
  }

  lastStableOffset(highWatermark: bigint): bigint {
    const u = this.state.firstUnstableOffset;
    return u !== undefined && u < highWatermark ? u : highWatermark;
  }

  /** Snapshot at the log end (unless one is there already), then close the transaction index files. */
  async close(logEndOffset: bigint, firstSegmentBase: bigint, clean: boolean): Promise<void> {
    // nothing after the last snapshot (or, without one, an empty log): recovery has nothing to replay anyway
    const replayFrom = this.snapshotOffset ?? firstSegmentBase;
    if (clean && logEndOffset > replayFrom) await this.snapshot(logEndOffset, firstSegmentBase);
    else await this.chain;
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }
}
