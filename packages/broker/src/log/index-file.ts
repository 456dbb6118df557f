// Shared persistence of the two sparse segment indexes. Entries live in memory (typed arrays in the subclass)
// and are appended to the file lazily by writePending(): after each fdatasync of the log (only the entries
// that existed when that sync started, so the last entry on disk marks data known to be durable: recovery
// scans from there), and on close. An index can always be rebuilt from its log, so it is never fsynced on the
// produce path; recovery validates what it finds and rebuilds it when missing, corrupt, or inconsistent.
import * as fs from 'node:fs';
import { writeFully } from './file-io';

export abstract class IndexFile {
  protected count = 0;
  /** Entries [0, persisted) are in the file. */
  private persisted = 0;
  /** The file holds more entries than `persisted` (after a truncation) and must be cut first. */
  private cutPending = false;
  private fd = -1;

  constructor(
    public file: string,
    protected readonly entrySize: number,
  ) {}

  get entries(): number {
    return this.count;
  }

  /** Serialises entry i into buf at off. */
  protected abstract encode(i: number, buf: Buffer, off: number): void;
  /** Sets entry i from buf at off. */
  protected abstract decode(i: number, buf: Buffer, off: number): void;
  /** Makes room for at least n entries. */
  protected abstract grow(n: number): void;

  /** Reads the file into memory. Returns 'missing', 'corrupt' (size not a multiple of the entry size), or 'ok'. */
  protected readFile(): 'ok' | 'missing' | 'corrupt' {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw e;
    }
    if (data.length % this.entrySize !== 0) return 'corrupt';
    const n = data.length / this.entrySize;
    this.grow(n);
    for (let i = 0; i < n; i++) this.decode(i, data, i * this.entrySize);
    this.count = this.persisted = n;
    return 'ok';
  }

  /** Forgets every entry (the file is cut on the next writePending). */
  clear(): void {
    this.truncateEntries(0);
  }

  /** Keeps only the first n entries. */
  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      this.persisted = n;
      this.cutPending = true;
    }
  }

  /**
   * Appends the entries not yet in the file, up to `limit` entries in all (and applies a pending truncation).
   * Creates the file if needed.
   */
  writePending(limit = this.count): void {
    const upTo = Math.min(limit, this.count);
    if (this.persisted >= upTo && !this.cutPending) return;
    if (this.fd < 0) this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    if (this.cutPending) {
      fs.ftruncateSync(this.fd, this.persisted * this.entrySize);
      this.cutPending = false;
    }
    const n = upTo - this.persisted;
    if (n <= 0) return;
    const buf = Buffer.allocUnsafe(n * this.entrySize);
    for (let i = 0; i < n; i++) this.encode(this.persisted + i, buf, i * this.entrySize);
    writeFully(this.fd, buf, this.persisted * this.entrySize);
    this.persisted = upTo;
  }

  /** Rewrites the whole file from memory (after a rebuild). */
  rewrite(): void {
    this.persisted = 0;
    this.cutPending = true;
    this.writePending();
  }

  /** The open descriptor, if the file has been written in this process (for fsync on roll/close). */
  get descriptor(): number {
    return this.fd;
  }

  /** Closes the descriptor; the in-memory entries stay usable. */
  closeFile(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Renames the file (used to mark a segment deleted). */
  renameTo(file: string): void {
    try {
      fs.renameSync(this.file, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.file = file;
  }
}
