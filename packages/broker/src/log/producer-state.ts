// Idempotent and transactional producer state of one partition, after Kafka's ProducerStateManager, built from
// batch headers only (the records are never decoded; a control batch's single marker key is read):
// - per producer id: epoch, the last five batches (sequence range, offsets, max timestamp), the coordinator
//   epoch of the last marker, and the first offset of its open transaction;
// - the ongoing transactions by first offset (the last stable offset is the earliest of them, else the log end);
// - the aborted transactions (the `.txnindex` entries) for read_committed fetches.
// Client appends are checked as Kafka checks them (ProducerAppendInfo): a stale epoch is INVALID_PRODUCER_EPOCH;
// a retry of one of the cached batches (same epoch and sequence range) is a duplicate, answered with the
// original offsets and not written; a new epoch must start at sequence 0 and a known epoch must continue at
// lastSeq + 1, else OUT_OF_ORDER_SEQUENCE_NUMBER; an unknown producer may start at any sequence (KIP-360:
// since Kafka 2.5 the append path no longer answers UNKNOWN_PRODUCER_ID, its state may have been removed by
// retention or expiry); a non-transactional write during an open transaction is INVALID_TXN_STATE.
// Coordinator appends (markers, transactional offset commits) are only epoch-checked; a marker older than the
// last one's coordinator epoch is TRANSACTION_COORDINATOR_FENCED. Validation (prepare) and the state change
// (commit) are split so nothing changes unless the write succeeded.
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_OFFSETS, ControlRecordType, Reader, RECORD_BATCH_HEADER_SIZE } from '@tributary/protocol';
import { LogError } from './log-errors';
import type { AbortedTxn } from './txn-index';

/** Batches per producer remembered for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const CACHED_BATCHES = 5;
const INT32_MAX = 2147483647;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  /** The batch's max timestamp (the append time on LogAppendTime topics). */
  timestamp: bigint;
}

export class ProducerStateEntry {
  epoch = -1;
  coordinatorEpoch = -1;
  /** First offset of the producer's open transaction on this partition, or -1n. */
  currentTxnFirstOffset = -1n;
  lastTimestamp = -1n;
  batches: BatchMetadata[] = [];

  constructor(readonly producerId: bigint) {}

  clone(): ProducerStateEntry {
    const e = new ProducerStateEntry(this.producerId);
    e.epoch = this.epoch;
    e.coordinatorEpoch = this.coordinatorEpoch;
    e.currentTxnFirstOffset = this.currentTxnFirstOffset;
    e.lastTimestamp = this.lastTimestamp;
    e.batches = [...this.batches];
    return e;
  }

  get lastSeq(): number {
    return this.batches.length ? this.batches[this.batches.length - 1].lastSeq : -1;
  }

  /** Clears the cached batches when the epoch changes (Kafka's maybeUpdateProducerEpoch). */
  setEpoch(epoch: number): void {
    if (epoch !== this.epoch) {
      this.batches = [];
      this.epoch = epoch;
    }
  }

  addBatch(epoch: number, b: BatchMetadata): void {
    this.setEpoch(epoch);
    this.batches.push(b);
    if (this.batches.length > CACHED_BATCHES) this.batches.shift();
    this.lastTimestamp = b.timestamp;
  }

  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.epoch) return undefined;
    return this.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  }
}

/** What the producer-state logic reads from one batch header. */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
  maxTimestamp: bigint;
  transactional: boolean;
  control: boolean;
  /** For control batches: the marker (ABORT 0 / COMMIT 1) and the coordinator epoch; undefined otherwise. */
  marker?: { type: number; coordinatorEpoch: number };
}

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  aborted: boolean;
}

/** The state changes of one validated append, applied by ProducerStateManager.commit once the write succeeded. */
export interface PreparedAppend {
  updates: Map<bigint, ProducerStateEntry>;
  started: { producerId: bigint; firstOffset: bigint }[];
  completed: CompletedTxn[];
}

export type AppendOrigin = 'client' | 'coordinator' | 'replay';

export const incrementSequence = (seq: number, n: number): number => (seq > INT32_MAX - n ? n - (INT32_MAX - seq) - 1 : seq + n);

/** Reads the producer fields of the batch at `p` (header and, for a control batch, its first record's key/value). */
export function readProducerBatch(buf: Buffer, p: number, size: number): ProducerBatch {
  const attributes = buf.readInt16BE(p + BATCH_OFFSETS.attributes);
  const batch: ProducerBatch = {
    producerId: buf.readBigInt64BE(p + BATCH_OFFSETS.producerId),
    epoch: buf.readInt16BE(p + BATCH_OFFSETS.producerEpoch),
    baseSequence: buf.readInt32BE(p + BATCH_OFFSETS.baseSequence),
    baseOffset: buf.readBigInt64BE(p),
    lastOffsetDelta: buf.readInt32BE(p + BATCH_OFFSETS.lastOffsetDelta),
    maxTimestamp: buf.readBigInt64BE(p + BATCH_OFFSETS.maxTimestamp),
    transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    control: (attributes & ATTR_CONTROL) !== 0,
  };
  if (batch.control) {
    const m = readMarker(buf.subarray(p + RECORD_BATCH_HEADER_SIZE, p + size));
    if (m && (m.type === ControlRecordType.Abort || m.type === ControlRecordType.Commit)) batch.marker = m;
  }
  return batch;
}

/** The marker of a control batch's first record (control batches are never compressed). */
function readMarker(records: Buffer): { type: number; coordinatorEpoch: number } | undefined {
  if (records.length === 0) return undefined; // emptied by compaction
  try {
    const r = new Reader(records);
    r.varint(); // record length
    r.int8(); // attributes
    r.varlong(); // timestamp delta
    r.varint(); // offset delta
    const keyLength = r.varint();
    const key = r.raw(keyLength);
    const valueLength = r.varint();
    const value = valueLength >= 6 ? r.raw(valueLength) : undefined;
    return { type: key.readInt16BE(2), coordinatorEpoch: value ? value.readInt32BE(2) : -1 };
  } catch {
    return undefined;
  }
}

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerStateEntry>();
  /** First offset -> producer id of every open transaction, in offset order (Map keeps insertion order). */
  private readonly ongoing = new Map<bigint, bigint>();
  /** Aborted transactions ordered by their marker offset. */
  aborted: AbortedTxn[] = [];

  /** The first offset of the earliest open transaction, or undefined. */
  get firstUnstableOffset(): bigint | undefined {
    let min: bigint | undefined;
    for (const o of this.ongoing.keys()) if (min === undefined || o < min) min = o;
    return min;
  }

  get ongoingCount(): number {
    return this.ongoing.size;
  }

  /** Validates the batches of an append (offsets already assigned). Throws LogError, or returns a duplicate. */
  prepare(batches: readonly ProducerBatch[], origin: AppendOrigin): { duplicate?: BatchMetadata; prepared?: PreparedAppend } {
    let prepared: PreparedAppend | undefined;
    for (const b of batches) {
      if (b.producerId < 0n) {
        if (b.transactional) throw new LogError('INVALID_RECORD', 'transactional record batch without a producer id');
        continue;
      }
      if (b.control && !b.marker) continue; // a control batch emptied by compaction, or not a transaction marker
      prepared ??= { updates: new Map(), started: [], completed: [] };
      const current = this.producers.get(b.producerId);
      if (origin === 'client' && !b.control) {
        // Kafka answers a retry of any cached batch with the original offsets and writes nothing
        const dup = current?.findDuplicate(b.epoch, b.baseSequence, incrementSequence(b.baseSequence, b.lastOffsetDelta));
        if (dup) return { duplicate: dup };
      }
      let entry = prepared.updates.get(b.producerId);
      if (!entry) {
        entry = current?.clone() ?? new ProducerStateEntry(b.producerId);
        prepared.updates.set(b.producerId, entry);
      }
      if (b.marker) this.applyMarker(entry, b, origin, prepared);
      else this.applyData(entry, current, b, origin, prepared);
    }
    return { prepared };
  }

  private applyData(entry: ProducerStateEntry, current: ProducerStateEntry | undefined, b: ProducerBatch, origin: AppendOrigin, p: PreparedAppend): void {
    const where = `producer ${b.producerId} at offset ${b.baseOffset}`;
    if (origin !== 'replay') {
      if (b.epoch < entry.epoch) {
        throw new LogError('INVALID_PRODUCER_EPOCH', `epoch of ${where} is ${b.epoch}, which is smaller than the last seen epoch ${entry.epoch}`);
      }
      if (origin === 'client') checkSequence(entry, current, b, where);
    }
    const lastOffset = b.baseOffset + BigInt(b.lastOffsetDelta);
    entry.addBatch(b.epoch, {
      firstSeq: b.baseSequence,
      lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
      firstOffset: b.baseOffset,
      lastOffset,
      timestamp: b.maxTimestamp,
    });
    if (entry.currentTxnFirstOffset >= 0n && !b.transactional) {
      if (origin !== 'replay') throw new LogError('INVALID_TXN_STATE', `expected a transactional write from ${where}`);
    } else if (entry.currentTxnFirstOffset < 0n && b.transactional) {
      entry.currentTxnFirstOffset = b.baseOffset;
      p.started.push({ producerId: b.producerId, firstOffset: b.baseOffset });
    }
  }

  private applyMarker(entry: ProducerStateEntry, b: ProducerBatch, origin: AppendOrigin, p: PreparedAppend): void {
    const marker = b.marker!;
    if (origin !== 'replay') {
      if (b.epoch < entry.epoch) {
        throw new LogError('INVALID_PRODUCER_EPOCH', `marker epoch ${b.epoch} of producer ${b.producerId} is smaller than the last seen epoch ${entry.epoch}`);
      }
      if (entry.coordinatorEpoch > marker.coordinatorEpoch) {
        throw new LogError('TRANSACTION_COORDINATOR_FENCED', `coordinator epoch ${marker.coordinatorEpoch} of a marker for producer ${b.producerId} is older than ${entry.coordinatorEpoch}`);
      }
    }
    if (entry.currentTxnFirstOffset >= 0n) {
      p.completed.push({ producerId: b.producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: b.baseOffset, aborted: marker.type === ControlRecordType.Abort });
    }
    entry.setEpoch(b.epoch);
    entry.currentTxnFirstOffset = -1n;
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.lastTimestamp = b.maxTimestamp;
  }

  /** Applies a prepared append; returns the aborted transactions it completed (for the transaction index). */
  commit(p: PreparedAppend): AbortedTxn[] {
    for (const [id, e] of p.updates) this.producers.set(id, e);
    for (const s of p.started) {
      // a transaction that starts and ends in the same append never enters the ongoing set
      if (!p.completed.some((c) => c.producerId === s.producerId && c.firstOffset === s.firstOffset)) this.ongoing.set(s.firstOffset, s.producerId);
    }
    const aborted: AbortedTxn[] = [];
    for (const c of p.completed) {
      this.ongoing.delete(c.firstOffset);
      if (!c.aborted) continue;
      const lso = this.firstUnstableOffset ?? c.lastOffset + 1n;
      const t: AbortedTxn = { producerId: c.producerId, firstOffset: c.firstOffset, lastOffset: c.lastOffset, lastStableOffset: lso };
      this.aborted.push(t);
      aborted.push(t);
    }
    return aborted;
  }

  /** Loads one producer from a snapshot (its batches oldest first). */
  load(entry: ProducerStateEntry): void {
    this.producers.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset >= 0n) this.ongoing.set(entry.currentTxnFirstOffset, entry.producerId);
  }

  /**
   * Aborted transactions overlapping a read of [fetchOffset, upperBound): marker at or after fetchOffset and
   * first offset below upperBound. Stops at the first entry whose last stable offset reaches upperBound.
   */
  abortedTransactions(fetchOffset: bigint, upperBound: bigint): AbortedTxn[] {
    const list = this.aborted;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < list.length; i++) {
      const t = list[i];
      if (t.firstOffset < upperBound) out.push(t);
      if (t.lastStableOffset >= upperBound) break;
    }
    return out;
  }

  /** Drops aborted-transaction entries whose marker is below the log start offset (no read can reach them). */
  trimAborted(logStartOffset: bigint): void {
    let n = 0;
    while (n < this.aborted.length && this.aborted[n].lastOffset < logStartOffset) n++;
    if (n > 0) this.aborted = this.aborted.slice(n);
  }

  /** Removes producers idle for expirationMs without an open transaction (producer.id.expiration.ms). */
  removeExpired(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0n && nowMs - Number(e.lastTimestamp) >= expirationMs) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.producers.clear();
    this.ongoing.clear();
    this.aborted = [];
  }
}

function checkSequence(entry: ProducerStateEntry, current: ProducerStateEntry | undefined, b: ProducerBatch, where: string): void {
  if (b.epoch !== entry.epoch) {
    // a new epoch starts at 0; an unknown producer (no epoch yet) may start anywhere (KIP-360)
    if (b.baseSequence !== 0 && entry.epoch !== -1) {
      throw new LogError('OUT_OF_ORDER_SEQUENCE_NUMBER', `invalid sequence number for new epoch of ${where}: ${b.epoch} (request epoch), ${b.baseSequence} (seq. number), ${entry.epoch} (current producer epoch)`);
    }
    return;
  }
  const lastSeq = entry.batches.length ? entry.lastSeq : current && current.epoch === b.epoch ? current.lastSeq : -1;
  const inSequence = b.baseSequence === lastSeq + 1 || (b.baseSequence === 0 && lastSeq === INT32_MAX);
  if (!(current === undefined || current.epoch === -1 || inSequence)) {
    throw new LogError('OUT_OF_ORDER_SEQUENCE_NUMBER', `out of order sequence number for ${where}: ${b.baseSequence} (incoming seq. number), ${lastSeq} (current end sequence number)`);
  }
}
