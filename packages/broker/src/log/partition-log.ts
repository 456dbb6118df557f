// One partition's log: an ordered list of segments, the last one active. Produce path: validate the whole
// request, stamp offsets (and LogAppendTime), roll if needed, one writeSync, notify fetch waiters; acks=all
// then waits for a group-committed fdatasync (FlushScheduler) when log.flush.on.ack.all is on (the default),
// acks=0/1 resolve as soon as the write returned. Fetch path: index lookup + header scan to the batch holding
// the fetch offset, then one read of whole batches bounded by maxBytes (at least one batch, KIP-74) and by
// maxOffset (high watermark now, last stable offset once transactions land). On a single node the high
// watermark is the log end offset. The segment list is only ever replaced as a whole between awaits, so a
// compactor can swap segments in the same way retention removes them.
import * as path from 'node:path';
import { assignOffsets, validateBatches, type AppendOptions, type AppendResult } from './append-validator';
import type { FlushScheduler } from './flush-scheduler';
import type { LogConfig } from './log-config';
import { LogError, defaultLogLogger, type LogErrorName, type LogLogger } from './log-errors';
import { floorSegment, readLog, type LogReadResult, type ReadOptions } from './log-reads';
import { LOG_START_OFFSET_CHECKPOINT, LogRetention, readOffsetCheckpoint, writeOffsetCheckpoint } from './log-retention';
import type { BatchMetadata } from './producer-state';
import { ProducerStateStore } from './producer-state-store';
import { Segment, segmentSettings } from './segment';
import { openSegments } from './segment-recovery';
import { logOffsetForTimestamp, logOffsetOfMaxTimestamp, type RecordHit } from './timestamp-lookup';

export interface PartitionLogOptions {
  dir: string;
  config: LogConfig;
  scheduler: FlushScheduler;
  logger?: LogLogger;
  /** Wall clock in ms (injectable for tests). */
  clock?: () => number;
}

export type AppendListener = (logEndOffset: bigint) => void;

const INT32_MAX = 2147483647n;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PartitionLog {
  readonly dir: string;
  config: LogConfig;
  /** Stamped into appended batches; the lead's metadata reports the same epoch. */
  leaderEpoch = 0;
  /** @internal ordered by base offset; the last is active. Replaced as a whole, never mutated in place. */
  segments: readonly Segment[];
  private nextOffset: bigint;
  private startOffset: bigint;
  private readonly scheduler: FlushScheduler;
  readonly logger: LogLogger;
  readonly clock: () => number;
  private readonly listeners = new Set<AppendListener>();
  private unflushedMessages = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private checkpointChain: Promise<void> = Promise.resolve();
  private unavailable: { name: LogErrorName; message: string } | undefined;
  /** @internal */
  readonly retention: LogRetention;
  /** @internal idempotent/transactional producer state, snapshots and the transaction index (producer-state-store.ts). */
  producers!: ProducerStateStore;

  private constructor(opts: PartitionLogOptions, segments: Segment[], startOffset: bigint) {
    this.dir = opts.dir;
    this.config = opts.config;
    this.scheduler = opts.scheduler;
    this.logger = opts.logger ?? defaultLogLogger;
    this.clock = opts.clock ?? Date.now;
    this.segments = segments;
    this.nextOffset = segments[segments.length - 1].nextOffset;
    this.startOffset = startOffset < this.nextOffset ? startOffset : this.nextOffset;
    this.retention = new LogRetention(this);
  }

  /** Opens (recovering if needed) or creates the log in opts.dir. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const now = (opts.clock ?? Date.now)();
    const settings = segmentSettings(opts.config);
    const segments = openSegments(opts.dir, settings, opts.logger ?? defaultLogLogger, now);
    const checkpoint = readOffsetCheckpoint(path.join(opts.dir, LOG_START_OFFSET_CHECKPOINT));
    if (segments.length === 0) segments.push(Segment.create(opts.dir, checkpoint ?? 0n, settings, now));
    const first = segments[0].baseOffset;
    const log = new PartitionLog(opts, segments, checkpoint !== undefined && checkpoint > first ? checkpoint : first);
    const logger = opts.logger ?? defaultLogLogger;
    log.producers = ProducerStateStore.open({ dir: opts.dir, sync: opts.scheduler.syncFn, logger, clock: log.clock }, segments, log.nextOffset);
    log.setRollJitter(log.active);
    // after a crash, recovered data may still be only in the page cache: make it durable in the background
    // (an fdatasync of a clean file returns at once)
    for (const seg of segments.slice(0, -1)) log.flushSegment(seg).catch(() => undefined);
    return log;
  }

  get logStartOffset(): bigint {
    return this.startOffset;
  }
  get logEndOffset(): bigint {
    return this.nextOffset;
  }
  /** Single node: every appended batch is committed, so the high watermark is the log end offset. */
  get highWatermark(): bigint {
    return this.nextOffset;
  }
  /** The first offset of the earliest open transaction, else the high watermark (read_committed reads stop here). */
  get lastStableOffset(): bigint {
    return this.producers.lastStableOffset(this.nextOffset);
  }
  /** Aborted transactions overlapping a read of [fetchOffset, upperBound) (Fetch's AbortedTransactions). */
  abortedTransactions(fetchOffset: bigint, upperBound: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.producers.state.abortedTransactions(fetchOffset, upperBound);
  }
  get active(): Segment {
    return this.segments[this.segments.length - 1];
  }
  /** Bytes of all segments. */
  get size(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  /** Registers a callback run synchronously after every append (wake fetch long-polls). Returns an unsubscribe. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(records: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    let seg: Segment;
    let result: AppendResult;
    try {
      this.checkAvailable();
      const now = this.clock();
      const batches = validateBatches(records, this.config, {
        allowControl: opts.origin === 'coordinator',
        nowMs: now,
        topicPartition: path.basename(this.dir),
      });
      const appendTime = this.config.timestampType === 'LogAppendTime' ? BigInt(now) : undefined;
      const baseOffset = this.nextOffset;
      const lastOffset = assignOffsets(records, batches, baseOffset, opts.leaderEpoch ?? this.leaderEpoch, appendTime);
      const txn = this.producers.prepareAppend(records, batches, opts.origin ?? 'client');
      if (txn.duplicate) return this.duplicateResult(txn.duplicate, opts);
      let maxTimestamp = -1n;
      let recordCount = 0;
      for (const b of batches) {
        if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
        recordCount += b.recordCount;
      }
      seg = this.maybeRoll(records.length, maxTimestamp, lastOffset, now);
      try {
        seg.append(records, batches);
      } catch (e) {
        throw this.fail(e);
      }
      this.nextOffset = lastOffset + 1n;
      if (txn.prepared) this.producers.commit(txn.prepared, seg.baseOffset);
      result = { baseOffset, lastOffset, logAppendTime: appendTime ?? -1n, logStartOffset: this.startOffset, recordCount };
      this.afterAppend(recordCount);
    } catch (e) {
      return Promise.reject(e);
    }
    if ((opts.acks ?? -1) === -1 && this.config.flushOnAckAll) return this.flushSegment(seg).then(() => result);
    return Promise.resolve(result);
  }

  /** A retried batch the log already holds (idempotent producer): its original offsets, nothing written. */
  private duplicateResult(dup: BatchMetadata, opts: AppendOptions): Promise<AppendResult> {
    const logAppendTime = this.config.timestampType === 'LogAppendTime' ? dup.timestamp : -1n;
    const result: AppendResult = { baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTime, logStartOffset: this.startOffset, recordCount: 0, duplicate: true };
    const seg = this.segments[floorSegment(this.segments, dup.lastOffset)];
    // acks=all: the original may still be waiting for its fdatasync
    if ((opts.acks ?? -1) === -1 && this.config.flushOnAckAll && seg.isDirty) return this.flushSegment(seg).then(() => result);
    return Promise.resolve(result);
  }

  private maybeRoll(appendSize: number, maxTimestamp: bigint, lastOffset: bigint, now: number): Segment {
    const seg = this.active;
    if (seg.isEmpty) return seg;
    const waited = seg.rollingBaseTimestamp >= 0n && maxTimestamp >= 0n ? Number(maxTimestamp - seg.rollingBaseTimestamp) : now - seg.createdAtMs;
    const roll =
      seg.size + appendSize > this.config.segmentBytes ||
      waited > this.config.segmentMs - seg.rollJitterMs ||
      seg.offsetIndex.isFull ||
      seg.timeIndex.isFull ||
      lastOffset - seg.baseOffset > INT32_MAX;
    return roll ? this.roll(now) : seg;
  }

  /** Seals the active segment (flushing it in the background) and starts a new one at the log end. */
  roll(now = this.clock()): Segment {
    const old = this.active;
    if (old.isEmpty) return old;
    let seg: Segment;
    try {
      seg = Segment.create(this.dir, this.nextOffset, segmentSettings(this.config), now);
    } catch (e) {
      throw this.fail(e);
    }
    old.seal();
    this.setRollJitter(seg);
    this.segments = [...this.segments, seg];
    void this.producers.snapshot(seg.baseOffset, this.segments[0].baseOffset);
    this.flushSegment(old).catch(() => undefined);
    return seg;
  }

  private setRollJitter(seg: Segment): void {
    const j = this.config.segmentJitterMs;
    seg.rollJitterMs = j > 0 ? Math.floor(Math.random() * Math.min(j, this.config.segmentMs)) : 0;
  }

  private afterAppend(recordCount: number): void {
    this.unflushedMessages += recordCount;
    if (this.unflushedMessages >= this.config.flushMessages) void this.flush().catch(() => undefined);
    else if (this.config.flushMs < MAX_TIMER_MS && !this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush().catch(() => undefined), this.config.flushMs);
      this.flushTimer.unref();
    }
    const end = this.nextOffset;
    for (const l of this.listeners) {
      try {
        l(end);
      } catch (e) {
        this.logger.warn(`append listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Forces an fdatasync of the active segment (group-committed with other flushes). */
  flush(): Promise<void> {
    this.unflushedMessages = 0;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return this.flushSegment(this.active);
  }

  private flushSegment(seg: Segment): Promise<void> {
    return this.scheduler.request(seg).catch((e) => {
      throw this.fail(e);
    });
  }

  /** Marks the log offline after an I/O failure; returns the error to report. */
  private fail(e: unknown): LogError {
    if (e instanceof LogError) return e;
    const message = `${this.dir}: storage failure: ${(e as Error)?.message ?? e}`;
    if (!this.unavailable) this.logger.warn(message);
    this.unavailable ??= { name: 'KAFKA_STORAGE_ERROR', message };
    return new LogError('KAFKA_STORAGE_ERROR', message);
  }

  /** @internal */
  checkAvailable(): void {
    if (this.unavailable) throw new LogError(this.unavailable.name, this.unavailable.message);
  }

  /**
   * Whole batches from the one containing fetchOffset, up to maxBytes (at least one batch unless
   * minOneBatch is false) and below maxOffset. OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   */
  read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions = {}): Promise<LogReadResult> {
    try {
      this.checkAvailable();
    } catch (e) {
      return Promise.reject(e);
    }
    return readLog(this.segments, this.startOffset, this.nextOffset, fetchOffset, maxBytes, opts);
  }

  /** Earliest record (at or after the log start) with timestamp >= timestamp, or undefined. */
  offsetForTimestamp(timestamp: bigint): RecordHit | undefined {
    this.checkAvailable();
    return logOffsetForTimestamp(this.segments, this.startOffset, timestamp);
  }

  /** The record with the largest timestamp (the earliest such record on ties), or undefined when empty (KIP-734). */
  offsetOfMaxTimestamp(): RecordHit | undefined {
    this.checkAvailable();
    return logOffsetOfMaxTimestamp(this.segments);
  }

  /** @internal applies a new log start offset (DeleteRecords, retention, truncation); persists it if asked. */
  setLogStartOffset(offset: bigint, persist: boolean): Promise<void> {
    this.startOffset = offset;
    this.producers.onLogStartOffset(offset);
    if (!persist) return Promise.resolve();
    const file = path.join(this.dir, LOG_START_OFFSET_CHECKPOINT);
    this.checkpointChain = this.checkpointChain
      .catch(() => undefined)
      .then(() => writeOffsetCheckpoint(file, this.startOffset, this.scheduler.syncFn));
    return this.checkpointChain.catch((e) => {
      throw this.fail(e);
    });
  }

  /** @internal sets the log end after a truncation. */
  setLogEndOffset(offset: bigint): void {
    this.nextOffset = offset;
    if (this.startOffset > offset) this.startOffset = offset;
  }

  /** Moves the log start to offset (DeleteRecords), persists it, and deletes whole segments below it. */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.retention.deleteRecordsBefore(offset);
  }

  /** Deletes the oldest segments breaching retention.ms / retention.bytes / the log start. Never the active one. */
  applyRetention(nowMs = this.clock()): Promise<number> {
    return this.retention.apply(nowMs);
  }

  /** Removes every record at or after offset (recovery, future replication). Returns the new log end offset. */
  truncateTo(offset: bigint): Promise<bigint> {
    return this.retention.truncateTo(offset).then((end) => {
      this.producers.reload(this.segments, end);
      return end;
    });
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    this.active.indexIntervalBytes = config.indexIntervalBytes;
  }

  /** @internal swaps the segment list (retention, truncation, a future compactor). */
  replaceSegments(next: Segment[]): void {
    this.segments = next;
  }

  /** Flushes, then closes every segment. Further calls fail with the given error (default NOT_LEADER_OR_FOLLOWER). */
  async close(reason: LogErrorName = 'NOT_LEADER_OR_FOLLOWER'): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const wasAvailable = !this.unavailable;
    this.unavailable ??= { name: reason, message: `${this.dir} is closed` };
    if (wasAvailable) {
      // clean shutdown: everything written is fdatasynced (including a just-rolled segment whose flush is queued)
      await Promise.all(this.segments.filter((s) => s.isDirty).map((s) => this.scheduler.request(s).catch(() => undefined)));
    }
    await this.checkpointChain.catch(() => undefined);
    // a shutdown snapshots the producer state; a deleted partition (reason UNKNOWN_TOPIC_OR_PARTITION) need not
    await this.producers.close(this.nextOffset, this.segments[0].baseOffset, wasAvailable && reason !== 'UNKNOWN_TOPIC_OR_PARTITION');
    for (const seg of this.segments) await seg.close();
  }
}
