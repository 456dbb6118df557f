// The cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): an open-addressing hash table in typed arrays
// whose memory is capped by `log.cleaner.dedupe.buffer.size`. A key is stored as a 96-bit hash (murmur3_32 with
// three seeds; Kafka stores a 128-bit MD5, which measured ~35x slower here: 1.3 us against 36 ns per key), so two
// keys whose three hashes all collide would be treated as one (probability about n^2 / 2^97). An entry is 20 bytes:
// three int32 hash words and the offset, stored as a float64 delta from the map's base offset (an exact integer
// below 2^53, like the segment indexes' relative offsets). The table starts small, doubles up to the cap, and is
// "full" at 90 % of the capped slots (Kafka's log.cleaner.io.buffer.load.factor): the cleaner then stops mapping
// and cleans what it mapped, leaving the rest for the next pass.
const BYTES_PER_ENTRY = 20;
const LOAD_FACTOR = 0.9;
const INITIAL_SLOTS = 1 << 12;

export class OffsetMap {
  /** Most entries the map accepts. */
  readonly maxEntries: number;
  private readonly maxSlots: number;
  private slots: number;
  private mask: number;
  private h1: Int32Array;
  private h2: Int32Array;
  private h3: Int32Array;
  /** offset - base, or -1 for an empty slot. */
  private deltas: Float64Array;
  private count = 0;
  private base = 0n;
  /** Largest offset put since the last clear, or -1n. */
  latestOffset = -1n;
  private readonly hash = new Int32Array(3);

  constructor(memoryBytes: number) {
    let slots = 16;
    while (slots * 2 * BYTES_PER_ENTRY <= memoryBytes && slots < 2 ** 30) slots *= 2;
    this.maxSlots = slots;
    this.maxEntries = Math.max(1, Math.floor(this.maxSlots * LOAD_FACTOR));
    this.slots = Math.min(INITIAL_SLOTS, this.maxSlots);
    this.mask = this.slots - 1;
    this.h1 = new Int32Array(this.slots);
    this.h2 = new Int32Array(this.slots);
    this.h3 = new Int32Array(this.slots);
    this.deltas = new Float64Array(this.slots).fill(-1);
  }

  get size(): number {
    return this.count;
  }
  /** Entries that can still be added. */
  get free(): number {
    return this.maxEntries - this.count;
  }
  /** Bytes the table currently occupies. */
  get memoryBytes(): number {
    return this.slots * BYTES_PER_ENTRY;
  }

  /** Empties the map; offsets put next are stored relative to `base`. */
  clear(base: bigint): void {
    this.deltas.fill(-1);
    this.count = 0;
    this.base = base;
    this.latestOffset = -1n;
  }

  /** Records `offset` as the latest for the key buf[start, start+len). Offsets must be put in increasing order. */
  put(buf: Buffer, start: number, len: number, offset: bigint): void {
    if (this.count >= this.maxEntries) throw new Error('offset map is full');
    const i = this.find(buf, start, len);
    const isNew = this.deltas[i] < 0;
    this.deltas[i] = Number(offset - this.base);
    if (offset > this.latestOffset) this.latestOffset = offset;
    if (!isNew) return;
    this.count++;
    this.h1[i] = this.hash[0];
    this.h2[i] = this.hash[1];
    this.h3[i] = this.hash[2];
    if (this.count > this.slots / 2 && this.slots < this.maxSlots) this.grow();
  }

  /** The latest offset recorded for the key, or -1n. */
  get(buf: Buffer, start: number, len: number): bigint {
    const d = this.deltas[this.find(buf, start, len)];
    return d < 0 ? -1n : this.base + BigInt(d);
  }

  /** The slot holding the key's hash, or the empty slot where it would go. Leaves the hash in this.hash. */
  private find(buf: Buffer, start: number, len: number): number {
    hashKey(buf, start, len, this.hash);
    const [a, b, c] = this.hash;
    let i = a & this.mask;
    for (;;) {
      if (this.deltas[i] < 0) return i;
      if (this.h1[i] === a && this.h2[i] === b && this.h3[i] === c) return i;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { h1, h2, h3, deltas } = this;
    this.slots *= 2;
    this.mask = this.slots - 1;
    this.h1 = new Int32Array(this.slots);
    this.h2 = new Int32Array(this.slots);
    this.h3 = new Int32Array(this.slots);
    this.deltas = new Float64Array(this.slots).fill(-1);
    for (let j = 0; j < deltas.length; j++) {
      if (deltas[j] < 0) continue;
      let i = h1[j] & this.mask;
      while (this.deltas[i] >= 0) i = (i + 1) & this.mask;
      this.h1[i] = h1[j];
      this.h2[i] = h2[j];
      this.h3[i] = h3[j];
      this.deltas[i] = deltas[j];
    }
  }
}

const SEEDS = [0x9747b28c | 0, 0x2f1a7c3d, 0x5bd1e995] as const;

const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

/** murmur3_x86_32 of buf[start, start+len) under three seeds at once, into out[0..2]. */
export function hashKey(buf: Uint8Array, start: number, len: number, out: Int32Array): void {
  let h1: number = SEEDS[0];
  let h2: number = SEEDS[1];
  let h3: number = SEEDS[2];
  const end4 = start + (len & ~3);
  let i = start;
  for (; i < end4; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
    h3 ^= k;
    h3 = (h3 << 13) | (h3 >>> 19);
    h3 = (Math.imul(h3, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = buf[i];
    if (tail > 1) k ^= buf[i + 1] << 8;
    if (tail > 2) k ^= buf[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h2 ^= k;
    h3 ^= k;
  }
  out[0] = fmix(h1 ^ len);
  out[1] = fmix(h2 ^ len);
  out[2] = fmix(h3 ^ len);
}
