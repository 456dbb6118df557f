// Table-driven CRC-32 (reflected) with slicing-by-8: eight bytes per step through eight 256-entry tables.
// Shared by CRC32C (RecordBatch v2) and CRC-32/IEEE (legacy MessageSet v0/v1); only the polynomial differs.

export type CrcTables = readonly Uint32Array[];

/** Builds the eight slicing tables of the reflected polynomial `poly`. */
export function makeCrcTables(poly: number): CrcTables {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[0][i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) t[k][i] = ((t[k - 1][i] >>> 8) ^ t[0][t[k - 1][i] & 0xff]) >>> 0;
  }
  return t;
}

/** CRC of buf[start, end) continuing from `crc` (0 for a fresh checksum). */
export function crcSlicingBy8(tables: CrcTables, buf: Uint8Array, start: number, end: number, crc: number): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables;
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

export type NativeCrc = (input: Uint8Array, initialState?: number) => number;

/**
 * Loads one CRC function of @node-rs/crc32 (a napi-rs addon; its prebuilt binary is an npm package per platform)
 * and checks it against the published check value of "123456789" before trusting it; null when it cannot load.
 */
export function loadNativeCrc(name: 'crc32' | 'crc32c', check: number): NativeCrc | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('@node-rs/crc32') as typeof import('@node-rs/crc32');
    const fn = mod[name];
    return fn(Buffer.from('123456789')) >>> 0 === check ? fn : null;
  } catch {
    return null;
  }
}
