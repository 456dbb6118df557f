// The broker's storage: a data directory (default ./data/broker) with one directory per partition,
// `<topic>-<partition>` (Kafka's layout), and the topic catalogue in topics.json. Topic admin (create, delete,
// add partitions, alter configs) validates first, then changes files, then persists the catalogue (the commit
// point); admin operations are serialised. Effective config = topic override ?? broker property ?? Kafka default,
// with sources for DescribeConfigs. Retention and the log cleaner (compaction, cleaner/) run on timers. Broker-only
// properties read here: log.dir(s), log.flush.on.ack.all (default true), log.retention.check.interval.ms (default
// 300000), log.cleaner.enable / log.cleaner.backoff.ms / log.cleaner.dedupe.buffer.size.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogCleaner, cleanerOptions } from './cleaner/log-cleaner';
import type { SyncFn } from './file-io';
import { FlushScheduler } from './flush-scheduler';
import { resolveTopicConfig, toLogConfig, validateBrokerConfig, type LogConfig, type ResolvedConfigEntry } from './log-config';
import { LogError, defaultLogLogger, type LogLogger } from './log-errors';
import { PartitionLog } from './partition-log';
import { applyConfigOps, validateOverrides, type ConfigOp } from './topic-config-changes';
import { TopicStore, validateTopicName, type TopicRecord } from './topic-store';

export interface LogManagerOptions {
  /** Overrides log.dirs / log.dir from brokerConfig; default ./data/broker. */
  dataDir?: string;
  /** Kafka broker properties (log.retention.hours, log.segment.bytes, message.max.bytes, ...). */
  brokerConfig?: Record<string, string>;
  /** Shared group-commit scheduler; one is created (with `sync`) when absent. */
  scheduler?: FlushScheduler;
  sync?: SyncFn;
  logger?: LogLogger;
  clock?: () => number;
}

export interface CreateTopicOptions {
  partitions: number;
  configs?: Record<string, string>;
  /** Keep a known id (e.g. restoring); a random UUID otherwise. */
  topicId?: string;
  validateOnly?: boolean;
}

export type TopicInfo = Readonly<TopicRecord>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TopicState {
  record: TopicRecord;
  logs: PartitionLog[];
}

export class LogManager {
  readonly dataDir: string;
  readonly scheduler: FlushScheduler;
  private readonly topicsByName = new Map<string, TopicState>();
  private readonly store: TopicStore;
  private adminChain: Promise<unknown> = Promise.resolve();
  private readonly deletedListeners = new Set<(topic: string) => void>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRunning = false;
  /** Compaction of `cleanup.policy=compact` topics; `cleaner.cleanNow()` runs a round at once. */
  cleaner!: LogCleaner;
  private readonly flushOnAckAll: boolean;
  readonly retentionCheckIntervalMs: number;

  private constructor(
    private readonly opts: LogManagerOptions,
    readonly brokerConfig: Readonly<Record<string, string>>,
    readonly logger: LogLogger,
    readonly clock: () => number,
  ) {
    const configured = brokerConfig['log.dirs'] ?? brokerConfig['log.dir'];
    this.dataDir = path.resolve(opts.dataDir ?? configured?.split(',')[0].trim() ?? './data/broker');
    this.scheduler = opts.scheduler ?? new FlushScheduler({ sync: opts.sync });
    this.store = new TopicStore(this.dataDir, this.scheduler.syncFn);
    this.flushOnAckAll = (brokerConfig['log.flush.on.ack.all'] ?? 'true').trim().toLowerCase() !== 'false';
    this.retentionCheckIntervalMs = Number(brokerConfig['log.retention.check.interval.ms'] ?? 300_000);
  }

  /** Opens the data directory: recovers every partition of every catalogued topic and starts retention. */
  static async open(opts: LogManagerOptions = {}): Promise<LogManager> {
    const brokerConfig = { ...(opts.brokerConfig ?? {}) };
    const problems = validateBrokerConfig(brokerConfig);
    if (problems.length) throw new Error(problems.join('; '));
    const mgr = new LogManager(opts, brokerConfig, opts.logger ?? defaultLogLogger, opts.clock ?? Date.now);
    fs.mkdirSync(mgr.dataDir, { recursive: true });
    for (const name of fs.readdirSync(mgr.dataDir)) {
      if (name.endsWith('-delete')) fs.rmSync(path.join(mgr.dataDir, name), { recursive: true, force: true });
    }
    for (const record of mgr.store.load()) {
      const logs: PartitionLog[] = [];
      for (let p = 0; p < record.partitions; p++) logs.push(await mgr.openLog(record, p));
      mgr.topicsByName.set(record.name, { record, logs });
    }
    if (mgr.retentionCheckIntervalMs > 0) mgr.startRetention();
    mgr.cleaner = new LogCleaner(mgr, cleanerOptions(brokerConfig));
    mgr.cleaner.start();
    return mgr;
  }

  topics(): TopicInfo[] {
    return [...this.topicsByName.values()].map((t) => t.record);
  }
  topic(name: string): TopicInfo | undefined {
    return this.topicsByName.get(name)?.record;
  }
  topicById(topicId: string): TopicInfo | undefined {
    for (const t of this.topicsByName.values()) if (t.record.topicId === topicId) return t.record;
    return undefined;
  }
  /** The partition's log, or undefined for an unknown topic or partition. */
  log(topic: string, partition: number): PartitionLog | undefined {
    return this.topicsByName.get(topic)?.logs[partition];
  }
  partitionDir(topic: string, partition: number): string {
    return path.join(this.dataDir, `${topic}-${partition}`);
  }

  /** The effective config of a topic with sources and synonyms (DescribeConfigs). */
  describeTopicConfig(topic: string): ResolvedConfigEntry[] {
    return [...resolveTopicConfig(this.requireTopic(topic).record.configs, this.brokerConfig).values()];
  }
  /** The typed config a topic's logs run on. */
  logConfig(overrides: Readonly<Record<string, string>>): LogConfig {
    return toLogConfig(resolveTopicConfig(overrides, this.brokerConfig), this.flushOnAckAll);
  }

  createTopic(name: string, opts: CreateTopicOptions): Promise<TopicInfo> {
    return this.admin(async () => {
      validateTopicName(name);
      if (this.topicsByName.has(name)) throw new LogError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);
      if (!Number.isInteger(opts.partitions) || opts.partitions < 1) {
        throw new LogError('INVALID_PARTITIONS', `Number of partitions must be larger than 0, got ${opts.partitions}.`);
      }
      const configs = { ...(opts.configs ?? {}) };
      validateOverrides(configs);
      if (opts.topicId !== undefined && !UUID.test(opts.topicId)) throw new LogError('INVALID_REQUEST', `Invalid topic id ${opts.topicId}`);
      const topicId = opts.topicId ?? randomUUID();
      if (this.topicById(topicId)) throw new LogError('TOPIC_ALREADY_EXISTS', `Topic id ${topicId} is already in use.`);
      const record: TopicRecord = { name, topicId, partitions: opts.partitions, configs };
      if (opts.validateOnly) return record;
      const state: TopicState = { record, logs: [] };
      try {
        for (let p = 0; p < record.partitions; p++) {
          fs.rmSync(this.partitionDir(name, p), { recursive: true, force: true }); // leftovers of an uncommitted create/delete
          state.logs.push(await this.openLog(record, p));
        }
        this.topicsByName.set(name, state);
        await this.persist();
      } catch (e) {
        this.topicsByName.delete(name);
        await this.discardLogs(name, state.logs, 0);
        throw e;
      }
      return record;
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      const state = this.requireTopic(name);
      this.topicsByName.delete(name);
      try {
        await this.persist();
      } catch (e) {
        this.topicsByName.set(name, state);
        throw e;
      }
      for (const listener of this.deletedListeners) listener(name);
      await this.discardLogs(name, state.logs, 0);
    });
  }

  /** Runs `listener` after each topic deletion (the group coordinator drops the topic's committed offsets). */
  onTopicDeleted(listener: (topic: string) => void): () => void {
    this.deletedListeners.add(listener);
    return () => this.deletedListeners.delete(listener);
  }

  /** Grows a topic to `total` partitions (CreatePartitions). */
  createPartitions(name: string, total: number, validateOnly = false): Promise<TopicInfo> {
    return this.admin(async () => {
      const state = this.requireTopic(name);
      const current = state.record.partitions;
      // Kafka's (KRaft controller's) messages.
      if (total === current) throw new LogError('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`);
      if (!Number.isInteger(total) || total < current) {
        throw new LogError('INVALID_PARTITIONS', `The topic ${name} currently has ${current} partition(s); ${total} would not be an increase.`);
      }
      if (validateOnly) return { ...state.record, partitions: total };
      const added: PartitionLog[] = [];
      try {
        for (let p = current; p < total; p++) {
          fs.rmSync(this.partitionDir(name, p), { recursive: true, force: true });
          added.push(await this.openLog(state.record, p));
        }
        state.record = { ...state.record, partitions: total };
        state.logs = [...state.logs, ...added];
        await this.persist();
      } catch (e) {
        state.record = { ...state.record, partitions: current };
        state.logs = state.logs.slice(0, current);
        await this.discardLogs(name, added, current);
        throw e;
      }
      return state.record;
    });
  }

  /** IncrementalAlterConfigs: SET / DELETE / APPEND / SUBTRACT on a topic's overrides. */
  alterTopicConfig(name: string, ops: readonly ConfigOp[], validateOnly = false): Promise<TopicInfo> {
    return this.admin(async () => {
      const state = this.requireTopic(name);
      const resolved = resolveTopicConfig(state.record.configs, this.brokerConfig);
      const configs = applyConfigOps(state.record.configs, ops, (n) => resolved.get(n)!.value);
      return validateOnly ? { ...state.record, configs } : this.applyConfigs(state, configs);
    });
  }

  /** AlterConfigs (legacy): the given map replaces all of the topic's overrides. */
  replaceTopicConfig(name: string, configs: Record<string, string>, validateOnly = false): Promise<TopicInfo> {
    return this.admin(async () => {
      const state = this.requireTopic(name);
      validateOverrides(configs);
      return validateOnly ? { ...state.record, configs: { ...configs } } : this.applyConfigs(state, { ...configs });
    });
  }

  private async applyConfigs(state: TopicState, configs: Record<string, string>): Promise<TopicInfo> {
    const previous = state.record;
    state.record = { ...previous, configs };
    try {
      await this.persist();
    } catch (e) {
      state.record = previous;
      throw e;
    }
    const config = this.logConfig(configs);
    for (const log of state.logs) log.updateConfig(config);
    return state.record;
  }

  /** Runs retention over every partition once; returns the number of segments deleted. */
  async runRetention(nowMs = this.clock()): Promise<number> {
    if (this.retentionRunning) return 0;
    this.retentionRunning = true;
    let deleted = 0;
    for (const log of [...this.topicsByName.values()].flatMap((t) => t.logs)) {
      deleted += await log.applyRetention(nowMs).catch((e: Error) => {
        this.logger.warn(`retention of ${log.dir} failed: ${e.message}`);
        return 0;
      });
    }
    this.retentionRunning = false;
    return deleted;
  }

  startRetention(intervalMs = this.retentionCheckIntervalMs): void {
    this.stopRetention();
    this.retentionTimer = setInterval(() => void this.runRetention(), intervalMs);
    this.retentionTimer.unref();
  }
  stopRetention(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
  }

  /** Stops retention and the cleaner, waits for admin work, then flushes and closes every log. */
  async close(): Promise<void> {
    this.stopRetention();
    await this.cleaner.stop();
    await this.adminChain.catch(() => undefined);
    const logs = [...this.topicsByName.values()].flatMap((t) => t.logs);
    await Promise.all(logs.map((l) => l.close()));
    await this.store.idle();
  }

  private openLog(record: TopicRecord, partition: number): Promise<PartitionLog> {
    return PartitionLog.open({
      dir: this.partitionDir(record.name, partition),
      config: this.logConfig(record.configs),
      scheduler: this.scheduler,
      logger: this.logger,
      clock: this.clock,
    });
  }

  /** Closes logs and removes their directories (renamed `*-delete` first, so the name is free at once). */
  private async discardLogs(topic: string, logs: readonly PartitionLog[], firstPartition: number): Promise<void> {
    await Promise.all(logs.map((l) => l.close('UNKNOWN_TOPIC_OR_PARTITION')));
    for (let i = 0; i < logs.length; i++) {
      const dir = this.partitionDir(topic, firstPartition + i);
      const doomed = `${dir}.${randomUUID().replace(/-/g, '')}-delete`;
      try {
        fs.renameSync(dir, doomed);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      await fs.promises.rm(doomed, { recursive: true, force: true });
    }
  }

  private requireTopic(name: string): TopicState {
    const state = this.topicsByName.get(name);
    if (!state) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    return state;
  }

  private persist(): Promise<void> {
    return this.store.save([...this.topicsByName.values()].map((t) => t.record));
  }

  private admin<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.adminChain.catch(() => undefined).then(fn);
    this.adminChain = run;
    return run;
  }
}
