// Sparse time index of a segment (`<base>.timeindex`): 12-byte big-endian entries of (timestamp int64,
// offset relative to the segment base int32), Kafka's layout. An entry (T, r) is written together with an
// offset-index entry when the segment's largest timestamp so far has grown; r is the base offset of the batch
// that holds T. Timestamps and offsets both strictly increase, so every batch before the one that recorded
// (T, r) has timestamps <= T: a search for the earliest timestamp >= X may start at the last entry with T < X.
import { IndexFile } from './index-file';

const ENTRY = 12;

export class TimeIndex extends IndexFile {
  private ts = new BigInt64Array(32);
  private rel = new Int32Array(32);

  constructor(
    file: string,
    readonly maxEntries: number,
  ) {
    super(file, ENTRY);
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }
  /** Timestamp of the last entry, or -1n. */
  get lastTimestamp(): bigint {
    return this.count ? this.ts[this.count - 1] : -1n;
  }
  /** Relative offset of the last entry, or -1. */
  get lastRelOffset(): number {
    return this.count ? this.rel[this.count - 1] : -1;
  }

  /** Appends (timestamp, relOffset) if timestamp is larger than the last entry's. */
  maybeAppend(timestamp: bigint, relOffset: number): void {
    if (this.count && (timestamp <= this.ts[this.count - 1] || relOffset < this.rel[this.count - 1])) return;
    if (this.count === this.ts.length) this.grow(this.count * 2);
    this.ts[this.count] = timestamp;
    this.rel[this.count] = relOffset;
    this.count++;
  }

  /** Relative offset of the last entry whose timestamp is < timestamp; 0 when there is none. */
  lookupBefore(timestamp: bigint): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.rel[found];
  }

  /** Drops the entries whose relative offset is >= relOffset. Returns how many were dropped. */
  truncateToRelOffset(relOffset: number): number {
    let n = this.count;
    while (n > 0 && this.rel[n - 1] >= relOffset) n--;
    const dropped = this.count - n;
    this.truncateEntries(n);
    return dropped;
  }

  /** Loads the file; checks both columns strictly increase and offsets stay below maxRelOffset. */
  load(maxRelOffset: number): 'ok' | 'missing' | 'corrupt' {
    const state = this.readFile();
    if (state !== 'ok') return state;
    for (let i = 0; i < this.count; i++) {
      const bad =
        this.rel[i] < 0 ||
        this.rel[i] > maxRelOffset ||
        (i > 0 && (this.ts[i] <= this.ts[i - 1] || this.rel[i] < this.rel[i - 1]));
      if (bad) {
        this.clear();
        return 'corrupt';
      }
    }
    return 'ok';
  }

  protected encode(i: number, buf: Buffer, off: number): void {
    buf.writeBigInt64BE(this.ts[i], off);
    buf.writeInt32BE(this.rel[i], off + 8);
  }
  protected decode(i: number, buf: Buffer, off: number): void {
    this.ts[i] = buf.readBigInt64BE(off);
    this.rel[i] = buf.readInt32BE(off + 8);
  }
  protected grow(n: number): void {
    if (n <= this.ts.length) return;
    const size = Math.max(n, this.ts.length * 2);
    const ts = new BigInt64Array(size);
    const rel = new Int32Array(size);
    ts.set(this.ts.subarray(0, this.count));
    rel.set(this.rel.subarray(0, this.count));
    this.ts = ts;
    this.rel = rel;
  }
}
