// Sparse offset index of a segment (`<base>.index`): 8-byte big-endian entries of (offset relative to the
// segment base int32, file position int32), Kafka's layout, one entry per `index.interval.bytes` of log. Each
// entry points at the start of a batch whose base offset is base + relativeOffset, so a lookup gives a batch
// boundary at or before the target, and the caller scans batch headers from there (never records).
import { IndexFile } from './index-file';

const ENTRY = 8;

export class OffsetIndex extends IndexFile {
  private rel = new Int32Array(64);
  private pos = new Int32Array(64);

  constructor(
    file: string,
    readonly maxEntries: number,
  ) {
    super(file, ENTRY);
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }
  /** Relative offset of the last entry, or -1. */
  get lastRelOffset(): number {
    return this.count ? this.rel[this.count - 1] : -1;
  }
  /** Position of the last entry, or 0. */
  get lastPosition(): number {
    return this.count ? this.pos[this.count - 1] : 0;
  }
  relOffsetAt(i: number): number {
    return this.rel[i];
  }
  positionAt(i: number): number {
    return this.pos[i];
  }

  append(relOffset: number, position: number): void {
    if (this.count === this.rel.length) this.grow(this.count * 2);
    this.rel[this.count] = relOffset;
    this.pos[this.count] = position;
    this.count++;
  }

  /** File position of the last entry whose relative offset is <= relOffset; 0 when there is none. */
  lookup(relOffset: number): number {
    const i = this.slotFor(relOffset);
    return i < 0 ? 0 : this.pos[i];
  }

  /** Index of the last entry whose relative offset is <= relOffset, or -1. */
  slotFor(relOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid] <= relOffset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the entries at or past position. Returns how many were dropped. */
  truncateToPosition(position: number): number {
    let n = this.count;
    while (n > 0 && this.pos[n - 1] >= position) n--;
    const dropped = this.count - n;
    this.truncateEntries(n);
    return dropped;
  }

  /**
   * Loads the file and checks its structure against a log of logSize bytes: strictly increasing offsets and
   * positions, non-negative, inside the log. 'missing' and 'corrupt' mean the caller must rebuild.
   */
  load(logSize: number): 'ok' | 'missing' | 'corrupt' {
    const state = this.readFile();
    if (state !== 'ok') return state;
    for (let i = 0; i < this.count; i++) {
      const bad =
        this.rel[i] < 0 ||
        this.pos[i] < 0 ||
        this.pos[i] >= logSize ||
        (i > 0 && (this.rel[i] <= this.rel[i - 1] || this.pos[i] <= this.pos[i - 1]));
      if (bad) {
        this.clear();
        return 'corrupt';
      }
    }
    return 'ok';
  }

  protected encode(i: number, buf: Buffer, off: number): void {
    buf.writeInt32BE(this.rel[i], off);
    buf.writeInt32BE(this.pos[i], off + 4);
  }
  protected decode(i: number, buf: Buffer, off: number): void {
    this.rel[i] = buf.readInt32BE(off);
    this.pos[i] = buf.readInt32BE(off + 4);
  }
  protected grow(n: number): void {
    if (n <= this.rel.length) return;
    const size = Math.max(n, this.rel.length * 2);
    const rel = new Int32Array(size);
    const pos = new Int32Array(size);
    rel.set(this.rel.subarray(0, this.count));
    pos.set(this.pos.subarray(0, this.count));
    this.rel = rel;
    this.pos = pos;
  }
}
