// Fuzz-style robustness: valid record batches, legacy MessageSets, compressed payloads and Confluent frames are
// mutated with a seeded PRNG (truncated at every position, bytes flipped, length and count fields set to huge or
// negative values). Every decoder must either succeed or throw ProtocolError - never another error type - and must
// not allocate from a length it has not checked: a header claiming 2^31 records in 100 bytes fails at once.
import {
  BATCH_OFFSETS,
  CompressionType,
  ControlRecordType,
  ProtocolError,
  crc32,
  decodeConfluentFrame,
  decodeRecordBatch,
  decodeRecordBatches,
  decompress,
  compress,
  encodeConfluentFrame,
  encodeRecordBatch,
  encodeTransactionMarkerBatch,
  type RecordInput,
} from '@tributary/protocol';

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LIMIT = { maxOutputBytes: 1 << 20 };
const TS = 1_700_000_000_000n;

function records(n: number, rnd: () => number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: rnd() < 0.3 ? null : Buffer.from(`key-${i}`),
    value: rnd() < 0.1 ? null : Buffer.from(`value-${i}-${'x'.repeat(Math.floor(rnd() * 40))}`),
    headers: rnd() < 0.5 ? [] : [{ key: `h${i}`, value: rnd() < 0.3 ? null : Buffer.from([i]) }],
    timestamp: TS + BigInt(Math.floor(rnd() * 10000)),
  }));
}

/** A legacy message entry (magic 0/1), with the CRC-32 computed, for building MessageSets. */
function legacyEntry(offset: bigint, magic: 0 | 1, attributes: number, key: Buffer | null, value: Buffer | null): Buffer {
  const body = Buffer.concat([
    Buffer.from([magic, attributes]),
    magic === 1 ? Buffer.from('0000018bcfe56800', 'hex') : Buffer.alloc(0),
    ...[key, value].map((b) => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(b === null ? -1 : b.length);
      return b === null ? len : Buffer.concat([len, b]);
    }),
  ]);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

function legacySet(magic: 0 | 1, compression: CompressionType): Buffer {
  const inner = Buffer.concat([0n, 1n, 2n].map((o) => legacyEntry(o, magic, 0, Buffer.from(`k${o}`), Buffer.from(`value ${o}`))));
  if (compression === CompressionType.None) return inner;
  return legacyEntry(2n, magic, compression, null, compress(compression, inner));
}

const rnd0 = prng(20240611);
const COMPRESSIONS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const BATCHES: [string, Buffer][] = [
  ...COMPRESSIONS.map((c): [string, Buffer] => [`v2 compression ${c}`, encodeRecordBatch({ compression: c, records: records(8, rnd0) })]),
  ['v2 empty', encodeRecordBatch({ records: [] })],
  ['v2 control', encodeTransactionMarkerBatch({ producerId: 1n, producerEpoch: 0, type: ControlRecordType.Commit, coordinatorEpoch: 3, timestamp: TS })],
  ['v2 LogAppendTime transactional', encodeRecordBatch({ isTransactional: true, timestampType: 1, records: records(3, rnd0) })],
];
const LEGACY: [string, Buffer][] = [];
for (const magic of [0, 1] as const) {
  for (const c of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
    LEGACY.push([`legacy magic ${magic} compression ${c}`, legacySet(magic, c)]);
  }
}
const FRAMES: [string, Buffer, boolean][] = [
  ['avro frame', encodeConfluentFrame(42, Buffer.from('avro payload')), false],
  ['protobuf frame [0]', encodeConfluentFrame(42, Buffer.from('pb'), [0]), true],
  ['protobuf frame [3,1,200]', encodeConfluentFrame(42, Buffer.from('pb'), [3, 1, 200]), true],
];

const unexpected: string[] = [];
/** Runs a decoder on a mutated input: success and ProtocolError are fine, anything else is recorded. */
function attempt(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) unexpected.push(`${what}: ${(err as Error)?.constructor?.name} ${(err as Error)?.message}`);
  }
}

function decodeAll(what: string, buf: Buffer): void {
  attempt(`${what} batches`, () => decodeRecordBatches(buf, LIMIT));
  attempt(`${what} batch`, () => decodeRecordBatch(buf, LIMIT));
  // Without the CRC the mutation reaches the record parser and the codecs.
  attempt(`${what} batch no-crc`, () => decodeRecordBatch(buf, { ...LIMIT, verifyCrc: false }));
  attempt(`${what} batches no-crc`, () => decodeRecordBatches(buf, { ...LIMIT, verifyCrc: false }));
}

function mutations(buf: Buffer, rnd: () => number, flips: number): Buffer[] {
  const out: Buffer[] = [];
  for (let cut = 0; cut < buf.length; cut++) out.push(buf.subarray(0, cut));
  for (let i = 0; i < flips; i++) {
    const m = Buffer.from(buf);
    const n = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < n; j++) m[Math.floor(rnd() * m.length)] ^= 1 << Math.floor(rnd() * 8);
    out.push(m);
  }
  // Huge, negative and random 32-bit values written at random positions (length and count fields among them).
  for (let i = 0; i < flips / 2; i++) {
    const m = Buffer.from(buf);
    const at = Math.floor(rnd() * Math.max(1, m.length - 4));
    const v = [0x7fffffff, -1, -2, 0x80000000 | 0, Math.floor(rnd() * 2 ** 32) | 0][i % 5];
    if (at + 4 <= m.length) m.writeInt32BE(v, at);
    out.push(m);
  }
  // Huge varints in place (record lengths, key lengths, header counts).
  for (let i = 0; i < flips / 4; i++) {
    const m = Buffer.from(buf);
    const at = Math.floor(rnd() * m.length);
    m.fill(0xff, at, Math.min(m.length, at + 1 + Math.floor(rnd() * 6)));
    out.push(m);
  }
  return out;
}

afterEach(() => {
  expect(unexpected.slice(0, 10)).toEqual([]);
  unexpected.length = 0;
});

describe('fuzz: decoders throw only ProtocolError', () => {
  it.each(BATCHES)('%s: truncations, bit flips, huge fields', (name, buf) => {
    const rnd = prng(buf.length * 7919);
    for (const m of mutations(buf, rnd, 600)) decodeAll(name, m);
    // A valid batch followed by a mutated one exercises the iteration.
    for (const m of mutations(buf, rnd, 100)) attempt(`${name} concat`, () => decodeRecordBatches(Buffer.concat([buf, m]), LIMIT));
  });

  it.each(LEGACY)('%s: truncations, bit flips, huge fields', (name, buf) => {
    const rnd = prng(buf.length * 104729);
    for (const m of mutations(buf, rnd, 600)) decodeAll(name, m);
  });

  it.each(FRAMES)('%s: truncations, bit flips, huge fields', (name, buf, protobuf) => {
    const rnd = prng(buf.length);
    for (const m of mutations(buf, rnd, 400)) {
      attempt(name, () => decodeConfluentFrame(m, { protobuf }));
      attempt(name, () => decodeConfluentFrame(m, { protobuf: !protobuf }));
    }
  });

  it.each([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd])(
    'codec %i: mutated compressed payloads',
    (type) => {
      const rnd = prng(type);
      const packed = compress(type, Buffer.from('some compressible text, some compressible text, '.repeat(50)));
      for (const m of mutations(packed, rnd, 800)) attempt(`codec ${type}`, () => decompress(type, m, LIMIT));
    },
  );

  it('random bytes', () => {
    const rnd = prng(99);
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.alloc(Math.floor(rnd() * 200));
      for (let j = 0; j < buf.length; j++) buf[j] = rnd() * 256;
      if (buf.length > 16 && rnd() < 0.5) buf[16] = Math.floor(rnd() * 3); // a plausible magic byte
      decodeAll('random', buf);
      attempt('random frame', () => decodeConfluentFrame(buf, { protobuf: rnd() < 0.5 }));
    }
  });
});

describe('fuzz: unchecked lengths never drive allocation', () => {
  const time = (fn: () => void): number => {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const withCount = (buf: Buffer, count: number): Buffer => {
    const m = Buffer.from(buf);
    m.writeInt32BE(count, BATCH_OFFSETS.recordCount);
    return m;
  };

  it.each(COMPRESSIONS)('a batch (compression %i) claiming 2^31-1 records in ~100 bytes throws at once', (compression) => {
    const buf = encodeRecordBatch({ compression, records: [{ key: null, value: Buffer.from('x'), timestamp: TS }] });
    const lying = withCount(buf, 0x7fffffff);
    for (const verifyCrc of [true, false]) {
      let err: unknown;
      const ms = time(() => {
        try {
          decodeRecordBatch(lying, { verifyCrc });
        } catch (e) {
          err = e;
        }
      });
      expect(err).toBeInstanceOf(ProtocolError);
      expect(ms).toBeLessThan(50);
    }
    expect(() => decodeRecordBatch(withCount(buf, -5), { verifyCrc: false })).toThrow(ProtocolError);
  });

  it('a batch length of 2^31-1 is a truncation, not an allocation', () => {
    const buf = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: TS }] });
    const m = Buffer.from(buf);
    m.writeInt32BE(0x7fffffff, BATCH_OFFSETS.batchLength);
    expect(() => decodeRecordBatch(m)).toThrow(expect.objectContaining({ kind: 'truncated' }));
    expect(decodeRecordBatches(m).truncated).toEqual({ at: 0, declaredSize: 0x7fffffff + 12, available: m.length });
  });

  it('a record claiming a 2 GiB key, and a header count of 2^30, fail on the bytes present', () => {
    // record: length, attributes, tsDelta, offsetDelta, key length varint (zigzag of 2^30 = 0x80 0x80 0x80 0x80 0x08)
    const body = Buffer.from([0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08]);
    const rec = Buffer.concat([Buffer.from([body.length * 2]), body]);
    const base = encodeRecordBatch({ records: [] });
    const m = Buffer.concat([base, rec]);
    m.writeInt32BE(m.length - 12, BATCH_OFFSETS.batchLength);
    m.writeInt32BE(1, BATCH_OFFSETS.recordCount);
    expect(() => decodeRecordBatch(m, { verifyCrc: false })).toThrow(ProtocolError);
    const headers = Buffer.from([0, 0, 0, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x08]);
    const m2 = Buffer.concat([base, Buffer.from([headers.length * 2]), headers]);
    m2.writeInt32BE(m2.length - 12, BATCH_OFFSETS.batchLength);
    m2.writeInt32BE(1, BATCH_OFFSETS.recordCount);
    expect(() => decodeRecordBatch(m2, { verifyCrc: false })).toThrow(ProtocolError);
  });
});
