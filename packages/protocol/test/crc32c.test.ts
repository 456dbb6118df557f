import {
  crc32,
  crc32Js,
  crc32c,
  crc32cJs,
  crc32cNative,
  nativeCrc32cAvailable,
  setCrc32cImplementation,
  useNativeCrc32c,
} from '@tributary/protocol';

// Published check values: CRC32C (RFC 3720 B.4 iSCSI vectors) and CRC-32/IEEE ("123456789" -> cbf43926).
const CRC32C_VECTORS: [string, Buffer, number][] = [
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 ascending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 descending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ['empty', Buffer.alloc(0), 0],
];

const pseudoRandom = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
};

describe('crc32c', () => {
  it.each(CRC32C_VECTORS)('pure JS matches the published value for %s', (_name, data, expected) => {
    expect(crc32cJs(data)).toBe(expected);
  });

  it('the native addon (@node-rs/crc32) loads on this platform', () => {
    expect(nativeCrc32cAvailable()).toBe(true);
  });

  it.each(CRC32C_VECTORS)('native matches the published value for %s', (_name, data, expected) => {
    expect(crc32cNative(data)).toBe(expected);
  });

  it('native and JS agree on every length up to 300, every alignment, and on 1 MiB', () => {
    const data = pseudoRandom(1 << 20);
    for (let n = 0; n <= 300; n++) expect(crc32cNative(data, 3, 3 + n)).toBe(crc32cJs(data, 3, 3 + n));
    for (let s = 0; s < 9; s++) expect(crc32cNative(data, s, 4096)).toBe(crc32cJs(data, s, 4096));
    expect(crc32cNative(data)).toBe(crc32cJs(data));
  });

  it('continues from a previous checksum, natively and in JS', () => {
    const data = pseudoRandom(1000);
    expect(crc32cJs(data, 400, 1000, crc32cJs(data, 0, 400))).toBe(crc32cJs(data));
    expect(crc32cNative(data, 400, 1000, crc32cNative(data, 0, 400) ?? 0)).toBe(crc32cJs(data));
  });

  it('the default entry point gives the same answers whichever implementation is pinned', () => {
    const data = pseudoRandom(5000);
    const expected = [crc32cJs(data), crc32cJs(data, 10, 50), crc32cJs(data, 7, 4999)];
    const actual = () => [crc32c(data), crc32c(data, 10, 50), crc32c(data, 7, 4999)];
    expect(useNativeCrc32c()).toBe('native');
    expect(actual()).toEqual(expected);
    const prev = setCrc32cImplementation((b, s, e) => crc32cJs(b, s, e));
    try {
      expect(actual()).toEqual(expected);
    } finally {
      setCrc32cImplementation(prev);
    }
  });
});

describe('crc32c without the native addon', () => {
  it('falls back to pure JS when @node-rs/crc32 cannot load', () => {
    jest.isolateModules(() => {
      jest.doMock('@node-rs/crc32', () => {
        throw new Error('no prebuilt binary for this platform');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../src/records/crc32c') as typeof import('../src/records/crc32c');
      expect(fresh.useNativeCrc32c()).toBe('js');
      expect(fresh.nativeCrc32cAvailable()).toBe(false);
      expect(fresh.crc32cNative(Buffer.from('x'))).toBeNull();
      expect(fresh.crc32c(Buffer.alloc(4096, 0xff))).toBe(crc32cJs(Buffer.alloc(4096, 0xff)));
      expect(fresh.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    });
    jest.dontMock('@node-rs/crc32');
  });
});

describe('crc32 (IEEE, legacy messages)', () => {
  it('matches the published check value and zlib-compatible values, natively and in JS', () => {
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Js(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    const data = pseudoRandom(10000);
    for (const [s, e] of [[0, 10000], [1, 129], [5, 9000], [0, 127]]) expect(crc32(data, s, e)).toBe(crc32Js(data, s, e));
  });
});
