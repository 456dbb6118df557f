// CRC32C (Castagnoli), the checksum of RecordBatch v2. Pure-JS slicing-by-8 implementation; a native SIMD
// implementation may be plugged in by `useNativeCrc32c` (see crc32c-native.ts when present).

const POLY = 0x82f63b78;
const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[0][i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) t[k][i] = ((t[k - 1][i] >>> 8) ^ t[0][t[k - 1][i] & 0xff]) >>> 0;
  }
  return t;
})();

/** CRC32C of buf[start, end), continuing from `crc` (0 for a fresh checksum). */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = (c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    c =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[buf[i + 4]] ^
      t2[buf[i + 5]] ^
      t1[buf[i + 6]] ^
      t0[buf[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

let impl: (buf: Uint8Array, start: number, end: number) => number = (b, s, e) => crc32cJs(b, s, e);

/** CRC32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return impl(buf, start, end);
}

/** Replaces the implementation (used to plug in a native one); returns the previous one. */
export function setCrc32cImplementation(fn: (buf: Uint8Array, start: number, end: number) => number): typeof impl {
  const prev = impl;
  impl = fn;
  return prev;
}
