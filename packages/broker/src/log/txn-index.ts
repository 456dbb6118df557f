// The transaction index: aborted transactions of a partition, in Kafka's `.txnindex` format, one file per
// segment (`<20-digit base offset>.txnindex`, named after the segment holding the ABORT marker). Each entry is
// 34 bytes: version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 (the marker) |
// lastStableOffset int64 (the LSO right after the abort: every transaction that could overlap an earlier read
// was complete by then, which lets a lookup stop early, as Kafka's does).
// Entries are appended with a plain positional write; the files are fsynced before each producer-state snapshot,
// so everything below a snapshot's offset is durable and recovery re-derives the rest from the log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFully, type SyncFn } from './file-io';

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export const TXN_INDEX_ENTRY_SIZE = 34;
const VERSION = 0;

export const txnIndexFileName = (baseOffset: bigint): string => `${baseOffset.toString().padStart(20, '0')}.txnindex`;

export function parseTxnIndexFileName(name: string): bigint | undefined {
  const m = /^(\d{20})\.txnindex$/.exec(name);
  return m ? BigInt(m[1]) : undefined;
}

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.allocUnsafe(TXN_INDEX_ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(t.producerId, 2);
  b.writeBigInt64BE(t.firstOffset, 10);
  b.writeBigInt64BE(t.lastOffset, 18);
  b.writeBigInt64BE(t.lastStableOffset, 26);
  return b;
}

/** The whole entries of a `.txnindex` file (a torn trailing entry or one of an unknown version ends the read). */
export function readTxnIndexFile(file: string): AbortedTxn[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: AbortedTxn[] = [];
  for (let p = 0; p + TXN_INDEX_ENTRY_SIZE <= buf.length; p += TXN_INDEX_ENTRY_SIZE) {
    if (buf.readInt16BE(p) !== VERSION) break;
    out.push({
      producerId: buf.readBigInt64BE(p + 2),
      firstOffset: buf.readBigInt64BE(p + 10),
      lastOffset: buf.readBigInt64BE(p + 18),
      lastStableOffset: buf.readBigInt64BE(p + 26),
    });
  }
  return out;
}

/** The `.txnindex` files of a partition directory, by base offset. */
export function listTxnIndexFiles(dir: string): { baseOffset: bigint; file: string }[] {
  const out: { baseOffset: bigint; file: string }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const base = parseTxnIndexFileName(name);
    if (base !== undefined) out.push({ baseOffset: base, file: path.join(dir, name) });
  }
  return out.sort((a, b) => (a.baseOffset < b.baseOffset ? -1 : a.baseOffset > b.baseOffset ? 1 : 0));
}

/** Appends to one segment's `.txnindex`, opening the file on first use. */
export class TxnIndexWriter {
  private fd = -1;
  private size = 0;
  private dirty = false;

  constructor(readonly file: string) {}

  /** Replaces the file's content with exactly these entries (recovery drops entries it will re-derive). */
  rewrite(entries: readonly AbortedTxn[]): void {
    this.close();
    if (entries.length === 0) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    fs.writeFileSync(this.file, Buffer.concat(entries.map(encodeAbortedTxn)));
    this.dirty = true;
  }

  append(t: AbortedTxn): void {
    if (this.fd < 0) {
      this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      this.size = fs.fstatSync(this.fd).size - (fs.fstatSync(this.fd).size % TXN_INDEX_ENTRY_SIZE);
    }
    writeFully(this.fd, encodeAbortedTxn(t), this.size);
    this.size += TXN_INDEX_ENTRY_SIZE;
    this.dirty = true;
  }

  /** fsyncs what was written since the last sync (a no-op when nothing was). */
  async sync(syncFn: SyncFn): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const fd = this.fd >= 0 ? this.fd : fs.openSync(this.file, 'r');
    try {
      await syncFn(fd, true);
    } catch (e) {
      this.dirty = true;
      throw e;
    } finally {
      if (fd !== this.fd) fs.closeSync(fd);
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

