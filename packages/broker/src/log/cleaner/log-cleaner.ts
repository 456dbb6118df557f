// The log cleaner of a LogManager (Kafka's LogCleaner + LogCleanerManager, one cleaner "thread"): every
// `log.cleaner.backoff.ms` (default 15 s) it picks, among partitions of topics whose cleanup.policy includes
// compact, the filthiest one that is due, cleans it (clean-pass.ts), records the new checkpoint, and repeats until
// none is due. A partition is due when its cleanable dirty bytes (dirty segments below the first uncleanable
// offset) are at least min.cleanable.dirty.ratio of its clean + cleanable bytes, or when its first dirty batch is
// older than max.compaction.lag.ms. Configs are read from the log at every pass, so IncrementalAlterConfigs to
// compact (or a new ratio) takes effect on the next round. `cleanNow()` runs a round at once (tests, tools).
// Passes never overlap; `stop()` makes a running pass give up at its next chunk and waits for it. The data work of
// a pass runs in a worker thread (log.cleaner.threads, default 1) or, with 0, on the event loop (engine-host.ts).
import type { SyncFn } from '../file-io';
import type { LogLogger } from '../log-errors';
import type { PartitionLog } from '../partition-log';
import { cleanPass, firstUncleanableOffset, type CleanPassResult } from './clean-pass';
import { readCleanerCheckpoint, writeCleanerCheckpoint, type CheckpointEntry } from './cleaner-checkpoint';
import { WorkerFailedError, localEngine, workerEngine, type Engine, type EngineSettings } from './engine-host';
import { CleanerStoppedError, CleaningError, SegmentGoneError } from './segment-reader';

export { CleanerStoppedError };

/** What the cleaner needs from its LogManager. */
export interface CleanerHost {
  readonly dataDir: string;
  readonly logger: LogLogger;
  readonly clock: () => number;
  readonly scheduler: { readonly syncFn: SyncFn };
  topics(): readonly { readonly name: string; readonly partitions: number }[];
  log(topic: string, partition: number): PartitionLog | undefined;
}

export interface LogCleanerOptions {
  /** log.cleaner.enable (default true): whether the timer runs. cleanNow() works either way. */
  enabled: boolean;
  /** log.cleaner.backoff.ms (default 15000). */
  backoffMs: number;
  /** log.cleaner.dedupe.buffer.size (default 128 MiB): memory cap of the key -> offset map. */
  dedupeBufferBytes: number;
  /** log.cleaner.threads (default 1): 0 cleans on the event loop, 1 or more in one worker thread. */
  threads: number;
}

export const cleanerOptions = (brokerConfig: Readonly<Record<string, string>>): LogCleanerOptions => ({
  enabled: (brokerConfig['log.cleaner.enable'] ?? 'true').trim().toLowerCase() !== 'false',
  backoffMs: Number(brokerConfig['log.cleaner.backoff.ms'] ?? 15_000),
  dedupeBufferBytes: Number(brokerConfig['log.cleaner.dedupe.buffer.size'] ?? 128 * 1024 * 1024),
  threads: Number(brokerConfig['log.cleaner.threads'] ?? 1),
});

const CHUNK_BYTES = 1024 * 1024;

/** How dirty a partition is (Kafka's LogToClean). */
export interface CleanableState {
  firstDirtyOffset: bigint;
  /** Without the first unstable offset, which only a pass's header scan finds. */
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes), 0 when both are 0. */
  dirtyRatio: number;
  /** The first dirty batch is older than max.compaction.lag.ms. */
  overdue: boolean;
  due: boolean;
}

export interface CleanNowOptions {
  /** Clean even when the dirty ratio is below min.cleanable.dirty.ratio, and rewrite the clean section even when
   *  nothing is dirty (so expired tombstones go). min.compaction.lag.ms and the active segment still hold. */
  force?: boolean;
}

export interface PartitionCleaning extends CleanPassResult {
  topic: string;
  partition: number;
  firstDirtyOffset: bigint;
  durationMs: number;
}

export class LogCleaner {
  private readonly checkpoints = new WeakMap<PartitionLog, bigint>();
  private readonly broken = new WeakSet<PartitionLog>();
  private stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private workerFailed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Every pass since start, newest last (at most 100 kept). */
  readonly history: PartitionCleaning[] = [];

  constructor(
    private readonly host: CleanerHost,
    readonly options: LogCleanerOptions,
  ) {
    let entries: CheckpointEntry[] = [];
    try {
      entries = readCleanerCheckpoint(host.dataDir);
    } catch (e) {
      // only costs work: every partition is treated as dirty from its log start
      host.logger.warn(`log cleaner: ${(e as Error).message}; starting from the log start of every partition`);
    }
    for (const e of entries) {
      const log = host.log(e.topic, e.partition);
      if (log) this.checkpoints.set(log, e.offset);
    }
  }

  start(): void {
    if (this.timer || !this.options.enabled) return;
    this.stopping = false;
    Atomics.store(this.stopFlag, 0, 0);
    this.timer = setInterval(() => {
      if (!this.busy) void this.cleanNow().catch((e: Error) => this.host.logger.warn(`log cleaner: ${e.message}`));
    }, this.options.backoffMs);
    this.timer.unref();
  }

  /** Stops the timer, makes a running pass give up at its next step and waits for it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopping = true;
    Atomics.store(this.stopFlag, 0, 1);
    await this.chain.catch(() => undefined);
  }

  /** Cleans every due partition (of `topic` when given) until none is due; resolves with what each pass did. */
  cleanNow(topic?: string, opts: CleanNowOptions = {}): Promise<PartitionCleaning[]> {
    const run = this.chain.catch(() => undefined).then(() => this.round(topic, opts));
    this.chain = run;
    return run;
  }

  /** Where the next pass of this log starts. */
  firstDirtyOffset(log: PartitionLog): bigint {
    const stored = this.checkpoints.get(log);
    if (stored === undefined || stored < log.logStartOffset || stored > log.logEndOffset) return log.logStartOffset;
    return stored;
  }

  /** The dirtiness figures the scheduler decides on. */
  cleanableState(log: PartitionLog, nowMs = this.host.clock()): CleanableState {
    const firstDirty = this.firstDirtyOffset(log);
    const segments = log.segments;
    const config = log.config;
    const uncleanable = firstUncleanableOffset(segments, firstDirty, nowMs, config.minCompactionLagMs);
    let cleanBytes = 0;
    let cleanableBytes = 0;
    let firstDirtyTimestamp = -1n;
    for (const seg of segments.slice(0, -1)) {
      if (seg.nextOffset <= firstDirty) cleanBytes += seg.size;
      else if (seg.baseOffset < uncleanable) {
        if (cleanableBytes === 0) firstDirtyTimestamp = seg.rollingBaseTimestamp;
        cleanableBytes += seg.size;
      }
    }
    const total = cleanBytes + cleanableBytes;
    const dirtyRatio = total === 0 ? 0 : cleanableBytes / total;
    const overdue =
      Number.isFinite(config.maxCompactionLagMs) && firstDirtyTimestamp >= 0n && nowMs - Number(firstDirtyTimestamp) > config.maxCompactionLagMs;
    const due = config.compactEnabled && cleanableBytes > 0 && (dirtyRatio >= config.minCleanableDirtyRatio || overdue);
    return { firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, cleanBytes, cleanableBytes, dirtyRatio, overdue, due };
  }

  private checkStop = (): void => {
    if (this.stopping) throw new CleanerStoppedError();
  };

  private async round(topic: string | undefined, opts: CleanNowOptions): Promise<PartitionCleaning[]> {
    this.busy = true;
    const done: PartitionCleaning[] = [];
    const settled = new Set<PartitionLog>();
    try {
      for (;;) {
        if (this.stopping) break;
        const next = this.pick(topic, opts, settled);
        if (!next) break;
        const r = await this.clean(next.topic, next.partition, next.log, opts);
        if (r) done.push(r);
        // a partition is visited again in the same round only while its passes make progress with a full map
        if (!r || !r.mapFull || r.endOffset <= r.firstDirtyOffset) settled.add(next.log);
      }
    } finally {
      this.busy = false;
    }
    return done;
  }

  /** The filthiest due partition (overdue ones first), skipping `settled` ones. */
  private pick(topic: string | undefined, opts: CleanNowOptions, settled: Set<PartitionLog>):
    | { topic: string; partition: number; log: PartitionLog }
    | undefined {
    const now = this.host.clock();
    let best: { topic: string; partition: number; log: PartitionLog; score: number } | undefined;
    for (const t of this.host.topics()) {
      if (topic !== undefined && t.name !== topic) continue;
      for (let p = 0; p < t.partitions; p++) {
        const log = this.host.log(t.name, p);
        if (!log || settled.has(log) || this.broken.has(log) || !log.config.compactEnabled) continue;
        const s = this.cleanableState(log, now);
        const eligible = opts.force ? s.cleanableBytes > 0 || s.cleanBytes > 0 : s.due;
        if (!eligible) continue;
        const score = (s.overdue ? 2 : 0) + s.dirtyRatio;
        if (!best || score > best.score) best = { topic: t.name, partition: p, log, score };
      }
    }
    return best;
  }

  /** Where passes run their data work: a worker thread, unless log.cleaner.threads is 0 or the worker failed to start. */
  get runsIn(): 'worker thread' | 'event loop' {
    return this.options.threads < 1 || this.workerFailed ? 'event loop' : 'worker thread';
  }

  private async engine(): Promise<Engine> {
    const settings: EngineSettings = { memoryBytes: this.options.dedupeBufferBytes, chunkBytes: CHUNK_BYTES, stop: this.stopFlag };
    if (this.options.threads < 1 || this.workerFailed) return localEngine(settings);
    try {
      return await workerEngine(settings);
    } catch (e) {
      this.workerFailed = true;
      this.host.logger.warn(`log cleaner: no worker thread (${(e as Error).message}); cleaning on the event loop`);
      return localEngine(settings);
    }
  }

  private async clean(topic: string, partition: number, log: PartitionLog, opts: CleanNowOptions): Promise<PartitionCleaning | undefined> {
    const started = performance.now();
    const firstDirty = this.firstDirtyOffset(log);
    let r: CleanPassResult;
    const engine = await this.engine();
    try {
      r = await cleanPass(log, engine, {
        firstDirty,
        nowMs: this.host.clock(),
        syncFn: this.host.scheduler.syncFn,
        checkStop: this.checkStop,
        force: opts.force,
      });
    } catch (e) {
      if (e instanceof CleanerStoppedError) return undefined;
      if (!isAvailable(log)) return undefined; // closed or deleted meanwhile: nothing to clean any more
      if (e instanceof SegmentGoneError || e instanceof WorkerFailedError) {
        this.host.logger.warn(`log cleaner: ${e.message}; ${topic}-${partition} is retried next round`);
        return undefined;
      }
      // Kafka marks such a partition uncleanable until restart rather than retrying a failing pass forever
      this.broken.add(log);
      const why = e instanceof CleaningError ? e.message : `${(e as Error)?.message ?? e}`;
      this.host.logger.warn(`log cleaner: cleaning ${topic}-${partition} failed, skipping it until restart: ${why}`);
      return undefined;
    } finally {
      await engine.close();
    }
    if (r.endOffset > firstDirty) {
      this.checkpoints.set(log, r.endOffset);
      await this.persistCheckpoints();
    }
    const done: PartitionCleaning = { topic, partition, firstDirtyOffset: firstDirty, durationMs: performance.now() - started, ...r };
    this.history.push(done);
    if (this.history.length > 100) this.history.shift();
    this.host.logger.info(
      `log cleaner: ${topic}-${partition} [${firstDirty}, ${r.endOffset}) read ${r.bytesRead} B, wrote ${r.bytesWritten} B, ` +
        `kept ${r.recordsKept}/${r.recordsRead} records, ${r.segmentsBefore} -> ${r.segmentsAfter} segments in ${done.durationMs.toFixed(0)} ms`,
    );
    return done;
  }

  private async persistCheckpoints(): Promise<void> {
    const entries: CheckpointEntry[] = [];
    for (const t of this.host.topics()) {
      for (let p = 0; p < t.partitions; p++) {
        const log = this.host.log(t.name, p);
        const offset = log && this.checkpoints.get(log);
        if (offset !== undefined) entries.push({ topic: t.name, partition: p, offset });
      }
    }
    await writeCleanerCheckpoint(this.host.dataDir, entries, this.host.scheduler.syncFn);
  }
}

function isAvailable(log: PartitionLog): boolean {
  try {
    log.checkAvailable();
    return true;
  } catch {
    return false;
  }
}
