// Producer-state snapshots: `<20-digit offset>.snapshot` in the partition directory, holding the state of every
// producer after all batches below that offset, in Kafka's snapshot format (version 1):
//   version int16 | crc uint32 (CRC32C of everything after it) | entries: int32 count, then per entry
//   producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 | offsetDelta int32 | timestamp int64 |
//   coordinatorEpoch int32 | currentTxnFirstOffset int64
// Kafka writes one entry per producer (its last batch). We write one entry per cached batch, oldest first, so
// all of the last five batches survive a restart and a retry of any of them is still recognised; a Kafka
// broker reading the file keeps the last entry per producer, which is exactly its own content.
// A producer without a data batch (only markers seen) is written with lastOffset -1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c } from '@tributary/protocol';
import { writeFileAtomic, type SyncFn } from './file-io';
import type { BatchMetadata, ProducerStateEntry } from './producer-state';

const VERSION = 1;
const HEADER = 2 + 4 + 4;
const ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

export const snapshotFileName = (offset: bigint): string => `${offset.toString().padStart(20, '0')}.snapshot`;

export function parseSnapshotFileName(name: string): bigint | undefined {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  return m ? BigInt(m[1]) : undefined;
}

/** Snapshot offsets in a partition directory, ascending. */
export function listSnapshots(dir: string): bigint[] {
  const out: bigint[] = [];
  for (const name of fs.readdirSync(dir)) {
    const o = parseSnapshotFileName(name);
    if (o !== undefined) out.push(o);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const rows: { e: ProducerStateEntry; b: BatchMetadata | undefined; timestamp: bigint }[] = [];
  for (const e of entries) {
    if (e.batches.length === 0) rows.push({ e, b: undefined, timestamp: e.lastTimestamp });
    e.batches.forEach((b, i) => rows.push({ e, b, timestamp: i === e.batches.length - 1 ? e.lastTimestamp : b.timestamp }));
  }
  const buf = Buffer.alloc(HEADER + rows.length * ENTRY);
  buf.writeInt16BE(VERSION, 0);
  buf.writeInt32BE(rows.length, 6);
  let p = HEADER;
  for (const { e, b, timestamp } of rows) {
    buf.writeBigInt64BE(e.producerId, p);
    buf.writeInt16BE(e.epoch, p + 8);
    buf.writeInt32BE(b ? b.lastSeq : -1, p + 10);
    buf.writeBigInt64BE(b ? b.lastOffset : -1n, p + 14);
    buf.writeInt32BE(b ? Number(b.lastOffset - b.firstOffset) : 0, p + 22);
    buf.writeBigInt64BE(timestamp, p + 26);
    buf.writeInt32BE(e.coordinatorEpoch, p + 34);
    buf.writeBigInt64BE(e.currentTxnFirstOffset, p + 38);
    p += ENTRY;
  }
  buf.writeUInt32BE(crc32c(buf, 6, buf.length), 2);
  return buf;
}

export interface SnapshotRow {
  producerId: bigint;
  epoch: number;
  lastSeq: number;
  lastOffset: bigint;
  offsetDelta: number;
  timestamp: bigint;
  coordinatorEpoch: number;
  currentTxnFirstOffset: bigint;
}

/** Decodes a snapshot; throws on a wrong version, a bad CRC or a size that does not match the entry count. */
export function decodeSnapshot(buf: Buffer): SnapshotRow[] {
  if (buf.length < HEADER) throw new Error(`snapshot of ${buf.length} bytes is truncated`);
  const version = buf.readInt16BE(0);
  if (version !== VERSION) throw new Error(`unknown snapshot version ${version}`);
  const stored = buf.readUInt32BE(2);
  const actual = crc32c(buf, 6, buf.length);
  if (stored !== actual) throw new Error(`snapshot CRC ${stored} does not match computed ${actual}`);
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== HEADER + count * ENTRY) throw new Error(`snapshot size ${buf.length} does not fit ${count} entries`);
  const rows: SnapshotRow[] = [];
  for (let i = 0, p = HEADER; i < count; i++, p += ENTRY) {
    rows.push({
      producerId: buf.readBigInt64BE(p),
      epoch: buf.readInt16BE(p + 8),
      lastSeq: buf.readInt32BE(p + 10),
      lastOffset: buf.readBigInt64BE(p + 14),
      offsetDelta: buf.readInt32BE(p + 22),
      timestamp: buf.readBigInt64BE(p + 26),
      coordinatorEpoch: buf.readInt32BE(p + 34),
      currentTxnFirstOffset: buf.readBigInt64BE(p + 38),
    });
  }
  return rows;
}

/** Writes a snapshot atomically (temp file, fsync, rename, directory fsync). */
export function writeSnapshot(dir: string, offset: bigint, bytes: Buffer, sync: SyncFn): Promise<void> {
  return writeFileAtomic(path.join(dir, snapshotFileName(offset)), bytes, sync);
}

export function deleteSnapshot(dir: string, offset: bigint): void {
  fs.rmSync(path.join(dir, snapshotFileName(offset)), { force: true });
}
