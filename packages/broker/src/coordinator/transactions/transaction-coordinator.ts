// The transaction coordinator of this (single) broker, after Kafka's TransactionCoordinator: it owns every
// transactional id (FindCoordinator key type 1 names this node), hands out producer ids and epochs
// (InitProducerId, with KIP-360 epoch recovery), tracks the partitions and group offsets of each transaction
// (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit) and ends them (EndTxn): the decision (PrepareCommit /
// PrepareAbort) is written to __transaction_state first, then the markers to every partition, then the
// staged group offsets are applied or dropped, then CompleteCommit / CompleteAbort is written. EndTxn is answered
// once that has happened (or, if some marker cannot be written yet, once the decision is durable; the rest is
// retried in the background and the id answers CONCURRENT_TRANSACTIONS until it completes).
// Transactions open longer than their timeout are aborted with an epoch bump that fences the producer; ids idle
// for transactional.id.expiration.ms are removed (tombstoned). State is replayed from __transaction_state on
// start; decided but incomplete transactions are completed then.
import { ErrorCode } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { SyncFn } from '../../log/file-io';
import type { LogManager } from '../../log/log-manager';
import { OFFSETS_TOPIC } from '../coordinator-records';
import type { GroupCoordinator } from '../group-coordinator';
import type { TopicPartitionErrors } from '../offset-manager';
import { ProducerIdManager } from './producer-id-manager';
import type { TransactionCoordinatorConfig } from './transaction-config';
import { TransactionStateTopic, txnAppendErrorCode } from './transaction-log';
import { writeMarkers } from './transaction-markers';
import { MAX_EPOCH, NO_PRODUCER_EPOCH, TransactionMetadata, TxnState, partitionKey, type TxnSnapshot } from './transaction-metadata';
import { TransactionalOffsets, type TxnOffsetCommitArgs } from './transactional-offsets';

export { transactionCoordinatorConfig, type TransactionCoordinatorConfig } from './transaction-config';

export interface TransactionCoordinatorOptions {
  logs: LogManager;
  groups: GroupCoordinator;
  config: TransactionCoordinatorConfig;
  logger: Logger;
  /** Where the producer id block is kept (the log directory). */
  dataDir: string;
  sync?: SyncFn;
}

export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const RETRY_BACKOFF_MS = 500;
const now = (): bigint => BigInt(Date.now());
const failure = (errorCode: number): ProducerIdAndEpoch => ({ errorCode, producerId: -1n, producerEpoch: -1 });

export class TransactionCoordinator {
  private readonly txns = new Map<string, TransactionMetadata>();
  private readonly topic: TransactionStateTopic;
  private readonly producerIds: ProducerIdManager;
  readonly offsets: TransactionalOffsets;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(private readonly opts: TransactionCoordinatorOptions) {
    const { logs, config, logger } = opts;
    this.topic = new TransactionStateTopic({ logs, numPartitions: config.stateLogPartitions, segmentBytes: config.stateLogSegmentBytes, logger });
    this.producerIds = ProducerIdManager.open(opts.dataDir, opts.sync);
    this.offsets = new TransactionalOffsets(opts.groups, logs, config.maxOffsetMetadataSize, logger);
  }

  /** Loads __transaction_state (after the group coordinator loaded __consumer_offsets) and starts the timers. */
  static async open(opts: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const c = new TransactionCoordinator(opts);
    await c.load();
    const every = (ms: number, fn: () => void) => {
      if (ms <= 0) return;
      const t = setInterval(fn, ms);
      t.unref();
      c.timers.push(t);
    };
    every(opts.config.abortTimedOutIntervalMs, () => c.abortTimedOutTransactions());
    every(opts.config.removeExpiredIntervalMs, () => void c.removeExpiredTransactionalIds());
    return c;
  }

  /** The partition of __transaction_state that holds a transactional id. */
  partitionFor(transactionalId: string): number {
    return this.topic.partitionFor(transactionalId);
  }

  /** The state of a transactional id (tests, admin). */
  describe(transactionalId: string): Readonly<TxnSnapshot> | undefined {
    return this.txns.get(transactionalId)?.snapshot();
  }

  // ------------------------------------------------------------------ InitProducerId

  async initProducerId(transactionalId: string | null, timeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<ProducerIdAndEpoch> {
    // an idempotent producer always gets a fresh id (Kafka "blindly accepts", even with an expected id/epoch)
    if (transactionalId === null) return { errorCode: ErrorCode.NONE, producerId: await this.producerIds.generate(), producerEpoch: 0 };
    if (transactionalId === '') return failure(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.opts.config.maxTimeoutMs) return failure(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let m = this.txns.get(transactionalId);
    if (!m) {
      const producerId = await this.producerIds.generate();
      m = this.txns.get(transactionalId);
      if (!m) this.txns.set(transactionalId, (m = new TransactionMetadata(transactionalId, producerId, NO_PRODUCER_EPOCH, timeoutMs, TxnState.Empty, now())));
    }
    if (m.pendingTransitionInProgress) return failure(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && !isValidProducerId(m, expected)) return failure(ErrorCode.PRODUCER_FENCED);
    switch (m.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return failure(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // abort the open transaction with a bumped epoch; the client retries and gets the epoch after that
        const error = await this.fenceAndAbort(m);
        return failure(error === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : error);
      }
      default:
        return this.bumpEpoch(m, timeoutMs, expected);
    }
  }

  private async bumpEpoch(m: TransactionMetadata, timeoutMs: number, expected?: { producerEpoch: number }): Promise<ProducerIdAndEpoch> {
    const base = { state: TxnState.Empty, txnTimeoutMs: timeoutMs, partitions: [], txnStartTimestamp: -1n, txnLastUpdateTimestamp: now() };
    let next: TxnSnapshot;
    let lastEpoch: number;
    if (m.isEpochExhausted && (!expected || expected.producerEpoch === m.producerEpoch)) {
      // Kafka's prepareProducerIdRotation: a new producer id at epoch 0
      m.pending = TxnState.Empty;
      let producerId: bigint;
      try {
        producerId = await this.producerIds.generate();
      } finally {
        m.pending = undefined;
      }
      next = m.snapshot({ ...base, producerId, previousProducerId: m.producerId, producerEpoch: 0 });
      lastEpoch = expected ? m.producerEpoch : NO_PRODUCER_EPOCH;
    } else if (!expected) {
      next = m.snapshot({ ...base, producerEpoch: m.producerEpoch + 1 });
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === m.producerEpoch) {
      next = m.snapshot({ ...base, producerEpoch: m.producerEpoch + 1 });
      lastEpoch = m.producerEpoch;
    } else if (expected.producerEpoch === m.lastProducerEpoch) {
      // a retry of a bump whose answer the producer did not get: same epoch again
      next = m.snapshot(base);
      lastEpoch = m.lastProducerEpoch;
    } else {
      return failure(ErrorCode.PRODUCER_FENCED);
    }
    const error = await this.persist(m, next);
    if (error !== ErrorCode.NONE) return failure(error);
    m.lastProducerEpoch = lastEpoch;
    this.opts.logger.debug({ transactionalId: m.transactionalId, producerId: String(m.producerId), epoch: m.producerEpoch }, 'initialized transactional id');
    return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
  }

  // ------------------------------------------------------------------ AddPartitionsToTxn / AddOffsetsToTxn

  /** Adds partitions to the transaction; one error for all of them. */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: { topic: string; partition: number }[]): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const keys = partitions.map((p) => partitionKey(p.topic, p.partition));
    if (m.state === TxnState.Ongoing && keys.every((k) => m.partitions.has(k))) return ErrorCode.NONE;
    const starting = m.state !== TxnState.Ongoing;
    const t = now();
    return this.persist(
      m,
      m.snapshot({
        state: TxnState.Ongoing,
        partitions: [...new Set([...(starting ? [] : m.partitions), ...keys])],
        txnStartTimestamp: starting ? t : m.txnStartTimestamp,
        txnLastUpdateTimestamp: t,
      }),
    );
  }

  /** Adds the group's __consumer_offsets partition to the transaction (Kafka's AddOffsetsToTxn). */
  async addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    try {
      await this.opts.groups.ensureOffsetsTopic();
    } catch {
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.addPartitions(transactionalId, producerId, producerEpoch, [{ topic: OFFSETS_TOPIC, partition: this.opts.groups.partitionFor(groupId) }]);
  }

  // ------------------------------------------------------------------ TxnOffsetCommit and transactional produce

  /**
   * TxnOffsetCommit: the transaction must be Ongoing with the group's offsets partition in it (AddOffsetsToTxn
   * first; Kafka verifies the same since 3.6), then the group coordinator's rules apply.
   */
  async txnOffsetCommit(transactionalId: string, req: TxnOffsetCommitArgs): Promise<TopicPartitionErrors[]> {
    const all = (errorCode: number) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })) }));
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== req.producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (req.producerEpoch !== m.producerEpoch) return all(ErrorCode.INVALID_PRODUCER_EPOCH);
    const offsetsPartition = partitionKey(OFFSETS_TOPIC, this.opts.groups.partitionFor(req.groupId));
    if (m.state !== TxnState.Ongoing || !m.partitions.has(offsetsPartition)) return all(ErrorCode.INVALID_TXN_STATE);
    return this.track(this.offsets.commit(req));
  }

  /**
   * The check a transactional Produce gets before its append (Kafka's transaction verification, KIP-890 part 1):
   * the producer's transaction must be Ongoing and include the partition, so no write can start a transaction
   * the coordinator does not know about (which would hold the last stable offset back forever).
   */
  verifyTransactionalProduce(transactionalId: string | null, producerId: bigint, producerEpoch: number, topic: string, partition: number): number {
    if (transactionalId === null) return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (m.state !== TxnState.Ongoing || !m.partitions.has(partitionKey(topic, partition))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------ EndTxn

  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case TxnState.Ongoing:
        return this.decide(m, commit, m.producerEpoch);
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  /** Aborts an open transaction with the epoch bumped, fencing the producer (timeouts, a new InitProducerId). */
  private fenceAndAbort(m: TransactionMetadata): Promise<number> {
    if (m.pendingTransitionInProgress || m.state !== TxnState.Ongoing) return Promise.resolve(ErrorCode.CONCURRENT_TRANSACTIONS);
    return this.decide(m, false, Math.min(m.producerEpoch + 1, MAX_EPOCH + 1));
  }

  /** Writes the decision, then completes the transaction (markers, offsets, Complete state). */
  private async decide(m: TransactionMetadata, commit: boolean, epoch: number): Promise<number> {
    const fenced = epoch !== m.producerEpoch;
    const error = await this.persist(m, m.snapshot({ state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, producerEpoch: epoch, txnLastUpdateTimestamp: now() }));
    if (error !== ErrorCode.NONE) return error;
    if (fenced) m.lastProducerEpoch = NO_PRODUCER_EPOCH;
    await this.complete(m);
    return ErrorCode.NONE;
  }

  /**
   * Markers, offsets, then the Complete state. Resolves after the first attempt; partitions that could not be
   * written are retried in the background until they are (or the coordinator closes).
   */
  private complete(m: TransactionMetadata): Promise<void> {
    const commit = m.state === TxnState.PrepareCommit;
    const spec = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit };
    const attempt = async (partitions: string[]): Promise<void> => {
      if (this.closed) return;
      const retry = await writeMarkers(this.opts.logs, partitions, spec, this.opts.logger);
      if (this.closed) return;
      if (retry.length > 0) {
        const t = setTimeout(() => void this.track(attempt(retry)), RETRY_BACKOFF_MS);
        t.unref();
        return;
      }
      this.offsets.complete(spec.producerId, commit);
      const error = await this.persist(m, m.snapshot({ state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: [], txnLastUpdateTimestamp: now() }));
      if (error !== ErrorCode.NONE && !this.closed) {
        const t = setTimeout(() => void this.track(attempt([])), RETRY_BACKOFF_MS);
        t.unref();
      }
    };
    return this.track(attempt([...m.partitions]));
  }

  // ------------------------------------------------------------------ persistence, timers, lifecycle

  /** Writes a transition to __transaction_state and applies it once durable; CONCURRENT_TRANSACTIONS meanwhile. */
  private async persist(m: TransactionMetadata, next: TxnSnapshot): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    m.pending = next.state;
    try {
      await this.track(this.topic.append(m.transactionalId, next));
    } catch (err) {
      this.opts.logger.warn({ transactionalId: m.transactionalId, err: (err as Error).message }, 'could not write transaction state');
      return txnAppendErrorCode(err);
    } finally {
      m.pending = undefined;
    }
    m.apply(next);
    return ErrorCode.NONE;
  }

  /** Aborts (with an epoch bump) every transaction open longer than its timeout. */
  abortTimedOutTransactions(nowMs = Date.now()): Promise<void> {
    const due = [...this.txns.values()].filter(
      (m) => m.state === TxnState.Ongoing && !m.pendingTransitionInProgress && Number(m.txnStartTimestamp) + m.txnTimeoutMs < nowMs,
    );
    for (const m of due) this.opts.logger.info({ transactionalId: m.transactionalId, producerId: String(m.producerId) }, 'aborting a timed-out transaction');
    return Promise.all(due.map((m) => this.fenceAndAbort(m))).then(() => undefined);
  }

  /** Removes transactional ids idle longer than transactional.id.expiration.ms (tombstones in the log). */
  async removeExpiredTransactionalIds(nowMs = Date.now()): Promise<void> {
    const idle = [...this.txns.values()].filter(
      (m) =>
        !m.pendingTransitionInProgress &&
        (m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort) &&
        Number(m.txnLastUpdateTimestamp) + this.opts.config.idExpirationMs <= nowMs,
    );
    for (const m of idle) {
      m.pending = TxnState.Dead;
      try {
        await this.track(this.topic.append(m.transactionalId, null));
        this.txns.delete(m.transactionalId);
      } catch (err) {
        this.opts.logger.warn({ transactionalId: m.transactionalId, err: (err as Error).message }, 'could not expire a transactional id');
      } finally {
        m.pending = undefined;
      }
    }
  }

  private async load(): Promise<void> {
    await this.offsets.load();
    const stored = new Map<string, TxnSnapshot | null>();
    const count = await this.topic.replay((id, s) => stored.set(id, s));
    let maxProducerId = -1n;
    for (const [id, s] of stored) {
      if (!s) continue;
      this.txns.set(id, TransactionMetadata.fromSnapshot(id, s));
      if (s.producerId > maxProducerId) maxProducerId = s.producerId;
    }
    if (maxProducerId >= 0n) await this.producerIds.ensureAbove(maxProducerId);
    if (count > 0) this.opts.logger.info({ records: count, transactionalIds: this.txns.size }, 'loaded transaction state from __transaction_state');
    // decided before the restart but not completed: write the markers now
    for (const m of this.txns.values()) {
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) void this.complete(m);
    }
  }

  /** Stops the timers and waits for writes in flight (background retries stop). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}

/** Kafka's isValidProducerId for InitProducerId with an expected producer id and epoch (KIP-360). */
function isValidProducerId(m: TransactionMetadata, expected: { producerId: bigint; producerEpoch: number }): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.previousProducerId && expected.producerEpoch >= MAX_EPOCH)
  );
}
