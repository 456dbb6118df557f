// One transactional id's state, as Kafka's TransactionMetadata keeps it: the producer id and epoch handed out
// for it (and the previous epoch, so a retried InitProducerId of a KIP-360 producer is recognised), the
// transaction timeout, the state machine, the partitions in the current transaction (a consumer group's offsets
// appear as its __consumer_offsets partition, as in Kafka) and the start / last-update timestamps.
//
//   Empty ──AddPartitions──> Ongoing ──EndTxn──> PrepareCommit ──markers written──> CompleteCommit
//                               │                PrepareAbort  ──markers written──> CompleteAbort
//                               └──timeout / InitProducerId: epoch fenced──> PrepareAbort
//   Complete* / Empty ──InitProducerId──> Empty (epoch + 1)      Complete* ──AddPartitions──> Ongoing
//
// While a transition is being written to __transaction_state, `pending` is set and every other request for the
// id gets CONCURRENT_TRANSACTIONS (Kafka's pendingTransitionInProgress). The numeric states are Kafka's
// TransactionState ids, which TransactionLogValue.transactionStatus stores.

export enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** Kafka bumps to a new producer id once the epoch reaches Short.MAX_VALUE - 1. */
export const MAX_EPOCH = 32766;

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
export const splitPartitionKey = (key: string): { topic: string; partition: number } => {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
};

/** The persisted part of a transaction's state (TransactionLogValue). */
export interface TxnSnapshot {
  producerId: bigint;
  previousProducerId: bigint;
  producerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: string[];
  txnStartTimestamp: bigint;
  txnLastUpdateTimestamp: bigint;
}

export class TransactionMetadata {
  producerId: bigint;
  /** The producer id before the last rotation (epoch exhaustion), for retried InitProducerId requests. */
  previousProducerId: bigint = NO_PRODUCER_ID;
  producerEpoch: number;
  /** The epoch before the last bump (memory only, as in Kafka's log format), -1 after a fence. */
  lastProducerEpoch: number = NO_PRODUCER_EPOCH;
  txnTimeoutMs: number;
  state: TxnState;
  readonly partitions = new Set<string>();
  txnStartTimestamp = -1n;
  txnLastUpdateTimestamp: bigint;
  /** The state being written, while a transition is in flight. */
  pending: TxnState | undefined;

  constructor(
    readonly transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    txnTimeoutMs: number,
    state: TxnState,
    nowMs: bigint,
  ) {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.txnTimeoutMs = txnTimeoutMs;
    this.state = state;
    this.txnLastUpdateTimestamp = nowMs;
  }

  static fromSnapshot(transactionalId: string, s: TxnSnapshot): TransactionMetadata {
    const m = new TransactionMetadata(transactionalId, s.producerId, s.producerEpoch, s.txnTimeoutMs, s.state, s.txnLastUpdateTimestamp);
    m.previousProducerId = s.previousProducerId;
    for (const p of s.partitions) m.partitions.add(p);
    m.txnStartTimestamp = s.txnStartTimestamp;
    return m;
  }

  get pendingTransitionInProgress(): boolean {
    return this.pending !== undefined;
  }

  get isEpochExhausted(): boolean {
    return this.producerEpoch >= MAX_EPOCH;
  }

  /** The state as it will be persisted after a transition (the metadata itself changes only once written). */
  snapshot(over: Partial<TxnSnapshot> = {}): TxnSnapshot {
    return {
      producerId: this.producerId,
      previousProducerId: this.previousProducerId,
      producerEpoch: this.producerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      partitions: [...this.partitions],
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      ...over,
    };
  }

  /** Applies a transition once it is durable. */
  apply(s: TxnSnapshot): void {
    this.producerId = s.producerId;
    this.previousProducerId = s.previousProducerId;
    this.producerEpoch = s.producerEpoch;
    this.txnTimeoutMs = s.txnTimeoutMs;
    this.state = s.state;
    this.partitions.clear();
    for (const p of s.partitions) this.partitions.add(p);
    this.txnStartTimestamp = s.txnStartTimestamp;
    this.txnLastUpdateTimestamp = s.txnLastUpdateTimestamp;
  }
}
