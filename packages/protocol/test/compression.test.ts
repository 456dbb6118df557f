// Codec behaviour: round trips (sync and async), the frame variants other Kafka clients write, and the guards that
// make malformed or hostile input a ProtocolError before anything large is allocated.
import {
  CompressionType,
  ProtocolError,
  XERIAL_MAGIC,
  compress,
  compressAsync,
  compressionCodec,
  decompress,
  decompressAsync,
  lz4Compress,
  readLz4Frame,
  snappyCompress,
  xxhash32,
  zstdMaxOutputSize,
} from '@tributary/protocol';
import * as zlib from 'node:zlib';

/* eslint-disable @typescript-eslint/no-require-imports */
const snappyjs = require('snappyjs');
const nodeLz4 = require('lz4');
/* eslint-enable @typescript-eslint/no-require-imports */

// 300,000 bytes of "tributary record payload\n" repeated, compressed by the reference CLIs:
//   zstd (streamed from stdin, so no content size; content checksum on), and
//   lz4 -B4 -BD -BX --content-size (64 KiB linked blocks, block checksums, content size, content checksum).
const REPEATED = Buffer.from('tributary record payload\n'.repeat(12000));
const ZSTD_CLI_STREAMED = Buffer.from('KLUv/QRYDAEAyHRyaWJ1dGFyeSByZWNvcmQgcGF5bG9hZAoBAJH/cz7HTAAACGEBAPz/ORACTQAACHkBANwTHQgBZiwhUg==', 'base64');
//   lz4 -B4 -BI --content-size --no-frame-crc (independent blocks with a content size: the block-decoder fast path).
const LZ4_CLI_INDEPENDENT_SIZED = Buffer.from('BCJNGGhA4JMEAAAAAAAOJAEAAP8KdHJpYnV0YXJ5IHJlY29yZCBwYXlsb2FkChkA/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////89QYXJ5IHIkAQAA/wplY29yZCBwYXlsb2FkCnRyaWJ1dGFyeSByGQD/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////z1BwYXlsbyQBAAD/CmFkCnRyaWJ1dGFyeSByZWNvcmQgcGF5bG8ZAP/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////PUGJ1dGFyJAEAAP8KeSByZWNvcmQgcGF5bG9hZAp0cmlidXRhchkA/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////89QcmQgcGG4AAAA/wp5bG9hZAp0cmlidXRhcnkgcmVjb3JkIHBhGQD/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////Q1Bsb2FkCgAAAAA=', 'base64');
const LZ4_CLI_LINKED = Buffer.from('BCJNGFxA4JMEAAAAAAC6JAEAAP8KdHJpYnV0YXJ5IHJlY29yZCBwYXlsb2FkChkA/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////89QYXJ5IHJpq2OACgEAAA/1///////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////oUHBheWxvW3OzYSQBAAD/CmFkCnRyaWJ1dGFyeSByZWNvcmQgcGF5bG8ZAP/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////PUGJ1dGFypuaxJwoBAAAP9f//////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////6FByZCBwYeOHbMS4AAAA/wp5bG9hZAp0cmlidXRhcnkgcmVjb3JkIHBhGQD/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////Q1Bsb2FkCjJfaoQAAAAA/PQX6g==', 'base64');

const CODECS: [string, CompressionType][] = [
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

function pseudoRandom(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const expectProtocolError = (fn: () => unknown, kind = 'corrupt'): void => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).kind).toBe(kind);
};

describe.each(CODECS)('%s', (_name, type) => {
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([42])],
    ['100 KiB of noise', pseudoRandom(100 * 1024)],
    ['300 KB of text', REPEATED],
  ];

  it.each(inputs)('round-trips %s, sync and async in every combination', async (_what, data) => {
    const sync = compress(type, data);
    const async = await compressAsync(type, data);
    expect(decompress(type, sync).equals(data)).toBe(true);
    expect(decompress(type, async).equals(data)).toBe(true);
    expect((await decompressAsync(type, sync)).equals(data)).toBe(true);
  });

  it('refuses output beyond maxOutputBytes', async () => {
    const packed = compress(type, REPEATED);
    expectProtocolError(() => decompress(type, packed, { maxOutputBytes: 1000 }));
    await expect(decompressAsync(type, packed, { maxOutputBytes: 1000 })).rejects.toBeInstanceOf(ProtocolError);
    // The limit applies to what the input can expand to before decoding: exact when the size is declared (gzip is
    // checked while inflating); a zstd frame without a content size may use up to 128 KiB per compressed block.
    const slack = type === CompressionType.Zstd ? 128 * 1024 : 0;
    expect(decompress(type, packed, { maxOutputBytes: REPEATED.length + slack }).length).toBe(REPEATED.length);
  });

  it('turns garbage and truncation into ProtocolError', async () => {
    expectProtocolError(() => decompress(type, Buffer.alloc(0)));
    expectProtocolError(() => decompress(type, Buffer.from('definitely not compressed data')));
    const packed = compress(type, pseudoRandom(5000));
    expectProtocolError(() => decompress(type, packed.subarray(0, packed.length >> 1)));
    await expect(decompressAsync(type, packed.subarray(0, 10))).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('compression registry', () => {
  it('None passes bytes through; types 5-7 are a ProtocolError', () => {
    const data = Buffer.from('plain');
    expect(compress(CompressionType.None, data)).toBe(data);
    expect(compressionCodec(CompressionType.None)).toBeNull();
    for (const t of [5, 6, 7]) expectProtocolError(() => compressionCodec(t), 'malformed');
  });
});

describe('gzip', () => {
  it('decodes a multi-member stream (two gzip members concatenated)', () => {
    const two = Buffer.concat([zlib.gzipSync('abc'), zlib.gzipSync('def')]);
    expect(decompress(CompressionType.Gzip, two).toString()).toBe('abcdef');
  });
});

describe('snappy', () => {
  it("writes the Java client's xerial framing: magic, version 1, compatible 1, 32 KiB blocks", () => {
    const out = snappyCompress(pseudoRandom(70 * 1024));
    expect(out.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(out.readInt32BE(8)).toBe(1);
    expect(out.readInt32BE(12)).toBe(1);
    let pos = 16;
    const sizes: number[] = [];
    while (pos < out.length) {
      const n = out.readInt32BE(pos);
      sizes.push(snappyjs.uncompress(out.subarray(pos + 4, pos + 4 + n)).length);
      pos += 4 + n;
    }
    expect(sizes).toEqual([32768, 32768, 6144]);
  });

  it('decodes raw snappy from snappyjs (what kafkajs-snappy writes) and xerial built from snappyjs blocks', () => {
    const data = pseudoRandom(50000, 7);
    expect(decompress(CompressionType.Snappy, Buffer.from(snappyjs.compress(data))).equals(data)).toBe(true);
    const blocks = [data.subarray(0, 20000), data.subarray(20000)].map((b) => Buffer.from(snappyjs.compress(b)));
    const header = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
    const framed = Buffer.concat([header, ...blocks.flatMap((b) => [Buffer.from([0, 0, b.length >> 8, b.length & 0xff]), b])]);
    expect(decompress(CompressionType.Snappy, framed).equals(data)).toBe(true);
  });

  it('encodes raw snappy that snappyjs reads', () => {
    const data = pseudoRandom(40000, 3);
    expect(Buffer.from(snappyjs.uncompress(snappyCompress(data, { framing: 'raw' }))).equals(data)).toBe(true);
  });

  it('refuses a block claiming more than snappy can expand to, before decoding', () => {
    // preamble says 4 GiB - 1, then one literal byte
    expectProtocolError(() => decompress(CompressionType.Snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41])));
  });

  it('refuses a xerial block length beyond the bytes present', () => {
    const framed = snappyCompress(Buffer.from('hello hello hello'));
    framed.writeInt32BE(0x7fffffff, 16);
    expectProtocolError(() => decompress(CompressionType.Snappy, framed));
  });
});

describe('lz4', () => {
  it("writes what Kafka's Java KafkaLZ4BlockOutputStream writes: FLG 0x60, BD 0x40 (64 KiB), no checksums", () => {
    const out = lz4Compress(pseudoRandom(200 * 1024));
    expect(out.subarray(0, 6)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]));
    expect(out[6]).toBe((xxhash32(out, 4, 6) >>> 8) & 0xff);
    const info = readLz4Frame(out);
    expect(info).toMatchObject({ blockIndependence: true, blockChecksum: false, contentChecksum: false, contentSize: null });
    expect(info.frameSize).toBe(out.length);
  });

  it('decodes the lz4 CLI frame with linked blocks, block checksums, content size and content checksum', () => {
    const info = readLz4Frame(LZ4_CLI_LINKED);
    expect(info).toMatchObject({ blockIndependence: false, blockChecksum: true, contentChecksum: true, contentSize: BigInt(REPEATED.length) });
    expect(decompress(CompressionType.Lz4, LZ4_CLI_LINKED).equals(REPEATED)).toBe(true);
  });

  it('decodes independent blocks with a declared content size, and refuses a size that does not match', () => {
    expect(readLz4Frame(LZ4_CLI_INDEPENDENT_SIZED)).toMatchObject({ blockIndependence: true, contentSize: BigInt(REPEATED.length) });
    expect(decompress(CompressionType.Lz4, LZ4_CLI_INDEPENDENT_SIZED).equals(REPEATED)).toBe(true);
    const lying = Buffer.from(LZ4_CLI_INDEPENDENT_SIZED);
    lying.writeUInt32LE(REPEATED.length - 1, 6);
    lying[14] = (xxhash32(lying, 4, 14) >>> 8) & 0xff;
    expectProtocolError(() => decompress(CompressionType.Lz4, lying));
  });

  it.each([
    ['defaults (4 MiB blocks, content checksum)', {}],
    // (node-lz4's own encoder crashes with blockChecksum: true; the CLI fixture above covers block checksums)
    ['64 KiB dependent blocks', { blockMaxSize: 64 * 1024, blockIndependence: false }],
    ['no content checksum', { streamChecksum: false }],
  ])('decodes node-lz4 (kafkajs-lz4) frames: %s', (_what, options) => {
    const data = Buffer.concat([pseudoRandom(100000, 9), REPEATED]);
    expect(decompress(CompressionType.Lz4, nodeLz4.encode(data, options)).equals(data)).toBe(true);
  });

  it('node-lz4 decodes our frames', () => {
    const data = Buffer.concat([pseudoRandom(100000, 5), REPEATED]);
    expect(nodeLz4.decode(lz4Compress(data)).equals(data)).toBe(true);
  });

  it("accepts Kafka's magic-0 header checksum (KAFKA-3160) and refuses one that matches neither", () => {
    const broken = lz4Compress(REPEATED, { brokenHeaderChecksum: true });
    expect(readLz4Frame(broken).brokenHeaderChecksum).toBe(true);
    expect(decompress(CompressionType.Lz4, broken).equals(REPEATED)).toBe(true);
    const wrong = Buffer.from(broken);
    wrong[6] ^= 0x5a;
    expectProtocolError(() => decompress(CompressionType.Lz4, wrong));
  });

  it('refuses a damaged content checksum and a content size above the limit', () => {
    const damaged = Buffer.from(LZ4_CLI_LINKED);
    damaged[damaged.length - 1] ^= 1;
    expectProtocolError(() => decompress(CompressionType.Lz4, damaged));
    expectProtocolError(() => decompress(CompressionType.Lz4, LZ4_CLI_LINKED, { maxOutputBytes: 1000 }));
  });
});

describe('zstd', () => {
  it('decodes a streamed frame without content size (as Java zstd-jni writes), with its checksum', () => {
    expect(ZSTD_CLI_STREAMED[4] & 0xc0).toBe(0); // no frame content size field
    expect(decompress(CompressionType.Zstd, ZSTD_CLI_STREAMED).equals(REPEATED)).toBe(true);
  });

  it('decodes concatenated frames and skips skippable frames', () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const input = Buffer.concat([skippable, compress(CompressionType.Zstd, Buffer.from('abc')), ZSTD_CLI_STREAMED]);
    expect(decompress(CompressionType.Zstd, input).equals(Buffer.concat([Buffer.from('abc'), REPEATED]))).toBe(true);
  });

  it('refuses an RLE bomb (4 bytes per 128 KiB block) by walking the blocks, before decoding', () => {
    const blocks: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])];
    for (let i = 0; i < 1000; i++) {
      const h = ((128 * 1024) << 3) | (1 << 1) | (i === 999 ? 1 : 0);
      blocks.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x41]));
    }
    const bomb = Buffer.concat(blocks);
    expect(zstdMaxOutputSize(bomb)).toBe(1000 * 128 * 1024);
    expectProtocolError(() => decompress(CompressionType.Zstd, bomb, { maxOutputBytes: 16 << 20 }));
  });
});
