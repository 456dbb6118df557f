// Malformed input never escapes as anything but a ProtocolError: every codec, fed valid frames that were truncated,
// had bytes flipped, or had huge int32/uvarint lengths written or inserted (seeded PRNG, so failures reproduce),
// either decodes or throws ProtocolError, and a count that the remaining bytes cannot hold is refused before any
// element is read or allocated.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protocol from '@tributary/protocol';
import { encodeMessage, type MessageCodec, ProtocolError, Reader } from '@tributary/protocol';
import { loadDefinitions, range, SampleBuilder } from './support/message-samples';

const definitions = loadDefinitions();
const codecOf = (name: string): MessageCodec<any> => (protocol as unknown as Record<string, MessageCodec<any>>)[name];

/** mulberry32: small, fast, and the same sequence on every run. */
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

/** 'ok' or the ProtocolError kind; any other outcome fails the test with enough context to reproduce it. */
function decodeOutcome(codec: MessageCodec<unknown>, buf: Buffer, version: number, what: string): string {
  try {
    codec.decode(new Reader(buf), version);
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.kind;
    throw new Error(`${codec.name} v${version} ${what} (${buf.toString('hex')}): ${(err as Error).stack}`);
  }
}

const HUGE_INT32 = [0x7fffffff, -1, -2, 0x40000000, 0x00010000];
const HUGE_UVARINT = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32 - 1

/** Versions worth fuzzing: the lowest, the first flexible one, the highest. */
function versionsOf(codec: MessageCodec<unknown>): number[] {
  const vs = new Set([codec.minVersion, codec.maxVersion]);
  if (codec.flexibleMinVersion >= codec.minVersion && codec.flexibleMinVersion <= codec.maxVersion) vs.add(codec.flexibleMinVersion);
  return [...vs].sort((a, b) => a - b);
}

describe('decoding mutated frames throws only ProtocolError', () => {
  it.each(definitions.map((d) => [d.name, d] as const))('%s', (_name, d) => {
    const codec = codecOf(d.name);
    const random = prng([...d.name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
    const pick = (n: number) => Math.floor(random() * n);
    for (const v of versionsOf(codec)) {
      const valid = encodeMessage(codec, new SampleBuilder(d, { arrayLength: 2 }).build(v), v);
      expect(decodeOutcome(codec, valid, v, 'unmutated')).toBe('ok');

      for (let i = 0; i < 40; i++) {
        const buf = Buffer.from(valid);
        let what: string;
        switch (i % 5) {
          case 0: {
            const at = pick(buf.length);
            buf[at] ^= 1 + pick(255);
            what = `byte ${at} flipped`;
            decodeOutcome(codec, buf, v, what);
            break;
          }
          case 1: {
            const at = pick(buf.length);
            what = `truncated at ${at}`;
            decodeOutcome(codec, buf.subarray(0, at), v, what);
            break;
          }
          case 2: {
            if (buf.length < 4) continue;
            const at = pick(buf.length - 3);
            const n = HUGE_INT32[pick(HUGE_INT32.length)];
            buf.writeInt32BE(n, at);
            decodeOutcome(codec, buf, v, `int32 ${n} at ${at}`);
            break;
          }
          case 3: {
            const at = pick(buf.length + 1);
            const inserted = Buffer.concat([buf.subarray(0, at), HUGE_UVARINT, buf.subarray(at)]);
            decodeOutcome(codec, inserted, v, `uvarint 2^32-1 inserted at ${at}`);
            break;
          }
          default: {
            for (let k = 0; k < 4; k++) buf[pick(buf.length)] = pick(256);
            decodeOutcome(codec, buf, v, 'four random bytes');
          }
        }
      }
    }
  });
});

describe('truncation at every position throws only ProtocolError', () => {
  const cases: [string, number][] = [
    ['ProduceRequest', 3],
    ['ProduceRequest', 9],
    ['FetchResponse', 4],
    ['FetchResponse', 16],
    ['MetadataResponse', 1],
    ['MetadataResponse', 12],
    ['ApiVersionsResponse', 3],
    ['JoinGroupRequest', 9],
    ['OffsetCommitRequest', 8],
    ['ConsumerGroupHeartbeatResponse', 0],
  ];
  it.each(cases)('%s v%d', (name, v) => {
    const d = definitions.find((x) => x.name === name)!;
    const codec = codecOf(name);
    const valid = encodeMessage(codec, new SampleBuilder(d, { arrayLength: 2, unknownTags: true }).build(v), v);
    for (let at = 0; at < valid.length; at++) {
      const outcome = decodeOutcome(codec, valid.subarray(0, at), v, `truncated at ${at}`);
      expect(outcome).not.toBe('ok'); // a strict prefix of these messages is never a whole message
    }
  });
});

describe('a huge length written over every position is refused without allocating', () => {
  // Requests and responses at their lowest and highest versions: an int32 length of 2^31-1 (or a uvarint of 2^32-1
  // in flexible versions) written at each offset of a valid frame.
  const apis = definitions.filter((d) => d.type === 'request' || d.type === 'response');
  it.each(apis.map((d) => [d.name, d] as const))('%s', (_name, d) => {
    const codec = codecOf(d.name);
    for (const v of [codec.minVersion, codec.maxVersion]) {
      const valid = encodeMessage(codec, new SampleBuilder(d, { arrayLength: 1 }).build(v), v);
      for (let at = 0; at + 4 <= valid.length; at++) {
        const buf = Buffer.from(valid);
        buf.writeInt32BE(0x7fffffff, at);
        decodeOutcome(codec, buf, v, `int32 2^31-1 at ${at}`);
        if (v >= codec.flexibleMinVersion) {
          decodeOutcome(codec, Buffer.concat([valid.subarray(0, at), HUGE_UVARINT, valid.subarray(at)]), v, `uvarint at ${at}`);
        }
      }
    }
  });

  it('rejects a 10-byte frame claiming 2^31-1 array elements before reading any', () => {
    const started = process.hrtime.bigint();
    // ProduceRequest v0: acks, timeoutMs, then the topic array count.
    const produce = Buffer.from([0, 1, 0, 0, 0x75, 0x30, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => protocol.ProduceRequest.decode(new Reader(produce), 0)).toThrow(expect.objectContaining({ kind: 'invalid-length' }));
    // MetadataResponse v0: the broker array count, then 6 bytes.
    const metadata = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0]);
    expect(() => protocol.MetadataResponse.decode(new Reader(metadata), 0)).toThrow(expect.objectContaining({ kind: 'invalid-length' }));
    // ApiVersionsResponse v3 (flexible): errorCode, then a compact array count of 2^32-2.
    const apiVersions = Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0]);
    expect(() => protocol.ApiVersionsResponse.decode(new Reader(apiVersions), 3)).toThrow(expect.objectContaining({ kind: 'invalid-length' }));
    // FetchRequest v4: a topic whose partition count claims 2^31-1 entries of at least 16 bytes each.
    const fetch = Buffer.concat([Buffer.alloc(17), Buffer.from([0, 0, 0, 1, 0, 1, 0x61, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(40)]);
    expect(() => protocol.FetchRequest.decode(new Reader(fetch), 4)).toThrow(expect.objectContaining({ kind: 'invalid-length' }));
    // int32 arrays need 4 bytes per element: 3 elements claimed, 8 bytes left.
    const isr = Buffer.from([0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(() => new Reader(isr).arrayLength(4)).toThrow(ProtocolError);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });

  it('refuses versions outside the codec range with unsupported-version', () => {
    expect(() => protocol.ProduceRequest.decode(new Reader(Buffer.alloc(0)), 12)).toThrow(expect.objectContaining({ kind: 'unsupported-version' }));
    expect(() => protocol.MetadataRequest.decode(new Reader(Buffer.alloc(0)), -1)).toThrow(expect.objectContaining({ kind: 'unsupported-version' }));
    expect(range('0-11')).toEqual([0, 11]);
  });
});

describe('generated decoders', () => {
  it('size every array from a count the Reader checked against the remaining bytes', () => {
    const dir = path.resolve(__dirname, '../src/generated');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    // An allowed size: only Reader count methods (which check against the remaining bytes), chosen by version tests.
    const checked = (expr: string): boolean => {
      const rest = expr
        .replace(/\b(r|_tr)\.(compact)?(Nullable|nullable)?[aA]rrayLength\(\d*\)/g, 'N')
        .replace(/\bversion [<>=]+ \d+|\bflexible\b/g, 'C')
        .replace(/[\s()?:,]/g, '');
      return /^[NC]*N[NC]*$/.test(rest) || expr.trim() === '_n';
    };
    let allocations = 0;
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/new Array<\w+>\(([^;]*)\);|const _n = ([^;]*);/g)) {
        const size = m[1] ?? m[2];
        if (m[1] !== undefined) allocations++;
        if (!checked(size)) expect({ file: f, size }).toBe('sized from a checked count');
      }
    }
    expect(allocations).toBeGreaterThan(300);
  });
});
