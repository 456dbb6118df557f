// What the cleaner must know about idempotent and transactional producers before it touches a partition, derived
// from batch headers alone (plus the key of each control record) in one pass over the whole log:
//   - which transactional data batches belong to aborted transactions (an ABORT marker of the same producer
//     follows them): their records are dropped, as Kafka's cleaner drops aborted data using the transaction index;
//   - the first offset of the earliest transaction still open (Kafka's first unstable offset): nothing from there
//     on may be cleaned, since an open transaction may yet abort and the values it would hide must survive;
//   - each producer's last data batch: when compaction empties it, it is kept as an empty batch so the producer's
//     last sequence number (and epoch) survives, as Kafka keeps it for its producer state.
// The log itself is the authority here (markers are never removed by this cleaner), so the scan needs nothing from
// a transaction index. Headers are read synchronously (2 KiB per read: one read per big batch, several small
// batches per read) through the pass's own descriptors; the scan yields every SLICE batches.
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_OFFSETS, ControlRecordType, RECORD_BATCH_HEADER_SIZE } from '@tributary/protocol';
import { BatchScanner } from '../batch-scanner';
import { RecordScan } from './record-scan';
import type { SourceFile } from './segment-reader';

export interface TxnScan {
  /** Base offsets of transactional data batches whose transaction was aborted. */
  aborted: Set<bigint>;
  /** Producer id -> last offset of its last data batch. */
  lastDataOffset: Map<bigint, bigint>;
  /** First offset of the earliest transaction without a marker yet, or undefined when none is open. */
  firstUnstableOffset: bigint | undefined;
  /** Control batches seen (markers). */
  markers: number;
}

const SLICE = 2000;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Scans every file of a partition, in offset order, up to its limit; `checkStop` throws to give up. */
export async function scanTransactions(files: readonly SourceFile[], checkStop: () => void): Promise<TxnScan> {
  const open = new Map<bigint, { first: bigint; batches: bigint[] }>();
  const aborted = new Set<bigint>();
  const lastDataOffset = new Map<bigint, bigint>();
  const scanner = new BatchScanner(2048); // headers only: a larger chunk would read most of every big batch
  const records = new RecordScan();
  let markers = 0;
  let n = 0;
  for (const file of files) {
    const limit = file.limit;
    scanner.reset(file.fd, limit);
    let pos = 0;
    while (pos < limit) {
      if (++n % SLICE === 0) {
        await yieldToLoop();
        checkStop();
      }
      const h = scanner.bytes(pos, RECORD_BATCH_HEADER_SIZE);
      if (!h) break;
      const size = h.readInt32BE(BATCH_OFFSETS.batchLength) + 12;
      const attributes = h.readInt16BE(BATCH_OFFSETS.attributes);
      const producerId = h.readBigInt64BE(BATCH_OFFSETS.producerId);
      const baseOffset = h.readBigInt64BE(BATCH_OFFSETS.baseOffset);
      const lastOffset = baseOffset + BigInt(h.readInt32BE(BATCH_OFFSETS.lastOffsetDelta));
      if (attributes & ATTR_CONTROL) {
        markers++;
        const batch = scanner.bytes(pos, size);
        const type = batch ? markerType(batch, records) : undefined;
        const txn = open.get(producerId);
        if (txn && (type === ControlRecordType.Abort || type === ControlRecordType.Commit)) {
          if (type === ControlRecordType.Abort) for (const b of txn.batches) aborted.add(b);
          open.delete(producerId);
        }
      } else if (producerId >= 0n) {
        lastDataOffset.set(producerId, lastOffset);
        if (attributes & ATTR_TRANSACTIONAL) {
          const txn = open.get(producerId);
          if (txn) txn.batches.push(baseOffset);
          else open.set(producerId, { first: baseOffset, batches: [baseOffset] });
        }
      }
      pos += size;
    }
  }
  let firstUnstableOffset: bigint | undefined;
  for (const t of open.values()) if (firstUnstableOffset === undefined || t.first < firstUnstableOffset) firstUnstableOffset = t.first;
  return { aborted, lastDataOffset, firstUnstableOffset, markers };
}

/** The control type (key version int16 | type int16) of a control batch's first record, or undefined. */
function markerType(batch: Buffer, records: RecordScan): number | undefined {
  const count = batch.readInt32BE(BATCH_OFFSETS.recordCount);
  if (count < 1 || (batch.readInt16BE(BATCH_OFFSETS.attributes) & 0x07) !== 0) return undefined;
  try {
    records.reset(batch, RECORD_BATCH_HEADER_SIZE, batch.length, count);
    if (!records.next() || records.keyLength < 4) return undefined;
    return batch.readInt16BE(records.keyStart + 2);
  } catch {
    return undefined;
  }
}
