// Bad input over real sockets. Whatever one connection sends - a huge or negative size prefix, random bytes, an
// unknown API, an unsupported version, a truncated body, a few hundred seeded mutations of valid requests - costs
// the broker at most that connection: it never allocates what a size prefix claims, other connections keep being
// served, nothing is left as an unhandled rejection, and real clients (kafkajs) still work afterwards. Pipelined
// requests are answered strictly in order, and a client that stops reading cannot make the broker buffer without
// bound.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { runInThisContext } from 'node:vm';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import {
  API_DEFINITIONS,
  ApiKey,
  ErrorCode,
  createApiVersionsRequest,
  createFetchRequest,
  createListOffsetsRequest,
  createMetadataRequest,
  createProduceRequest,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  type ApiVersionsResponse,
  type FetchResponse,
} from '@tributary/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { RawConnection } from './support/raw-connection';
import { WireClient } from './support/wire-client';

const MAX_REQUEST_BYTES = 1024 * 1024;
const MiB = 1024 * 1024;

let kafka: TestBroker;
let topicId: string;
const TOPIC = 'robust';

beforeAll(async () => {
  kafka = await createTestBroker({ config: { 'socket.request.max.bytes': String(MAX_REQUEST_BYTES) }, logLevel: process.env.FUZZ_LOG ?? 'error' });
  const t = await kafka.broker.logs.createTopic(TOPIC, { partitions: 2 });
  topicId = t.topicId;
  const client = await WireClient.connect(kafka.port);
  for (let i = 0; i < 3; i++) await client.send(ApiKey.Produce, 9, produceBody(TOPIC, 0, [`seed-${i}`]));
  client.close();
});
afterAll(async () => kafka.close());

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function produceBody(topic: string, partition: number, values: string[], acks = -1) {
  const records = encodeRecordBatch({
    records: values.map((v) => ({ key: Buffer.from(`k-${v}`), value: Buffer.from(v), headers: [], timestamp: BigInt(Date.now()) })),
  });
  return createProduceRequest({ acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

function fetchBody(version: number, opts: { offset?: bigint; maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number; maxBytes?: number; topic?: string; id?: string } = {}) {
  return createFetchRequest({
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: opts.maxBytes ?? 4 * MiB,
    topics: [
      {
        topic: version < 13 ? (opts.topic ?? TOPIC) : '',
        topicId: opts.id ?? topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: opts.offset ?? 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: opts.partitionMaxBytes ?? MiB,
            replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
          },
        ],
      },
    ],
  });
}

const listOffsetsBody = (timestamp: bigint) =>
  createListOffsetsRequest({ replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });

/** The broker answers a plain ApiVersions v3 on a fresh connection: it is alive and serving. */
async function assertServing(): Promise<void> {
  const c = await WireClient.connect(kafka.port);
  try {
    const res = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: 'probe', clientSoftwareVersion: '1' }));
    expect(res.errorCode).toBe(0);
  } finally {
    c.close();
  }
}

function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, arrayBuffers: m.arrayBuffers, external: m.external };
}

/** mulberry32: a small seeded PRNG so a failing fuzz run can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

const sizePrefix = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
};

/** A frame whose body is exactly `bytes` (header included), with a correct size prefix. */
const frameOf = (bytes: Buffer) => Buffer.concat([sizePrefix(bytes.length), bytes]);

// ---------------------------------------------------------------- size prefixes

describe('size prefixes', () => {
  it.each([
    ['2 GiB (0x80000000, negative as int32)', 0x80000000],
    ['2 GiB - 1 (0x7fffffff)', 0x7fffffff],
    ['just over socket.request.max.bytes', MAX_REQUEST_BYTES + 1],
    ['negative (-1)', -1],
    ['negative (-1000)', -1000],
  ])('a size prefix of %s closes that connection at once, without allocating for it', async (_name, size) => {
    const before = memory();
    const conns = await Promise.all(Array.from({ length: 20 }, () => RawConnection.connect(kafka.port)));
    // only the prefix and a few bytes: a broker that waited for (or allocated) the claimed size would not close
    await Promise.all(conns.map((c) => c.write(Buffer.concat([sizePrefix(size), Buffer.from([0, 18, 0, 3])]))));
    const closed = await Promise.all(conns.map((c) => c.waitForClose(2000)));
    expect(closed.every(Boolean)).toBe(true);
    const after = memory();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(32 * MiB);
    expect(after.rss - before.rss).toBeLessThan(128 * MiB);
    await assertServing();
  });

  it('a size prefix arriving one byte at a time is still checked before anything is allocated', async () => {
    const c = await RawConnection.connect(kafka.port);
    for (const b of sizePrefix(0x7ffffff0)) {
      await c.write(Buffer.from([b]));
      await sleep(5);
    }
    expect(await c.waitForClose(2000)).toBe(true);
  });

  it('a request of exactly socket.request.max.bytes is served', async () => {
    // a Produce whose record value is sized so the frame body is exactly the limit
    let valueSize = MAX_REQUEST_BYTES - 200;
    let frame: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 5; i++) {
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(valueSize, 7), headers: [], timestamp: BigInt(Date.now()) }] });
      frame = encodeRequest(ApiKey.Produce, 9, 1, 'max', createProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 1, records }] }] }));
      const size = frame.length - 4;
      if (size === MAX_REQUEST_BYTES) break;
      valueSize += MAX_REQUEST_BYTES - size;
    }
    expect(frame.readInt32BE(0)).toBe(MAX_REQUEST_BYTES);
    const c = await RawConnection.connect(kafka.port);
    try {
      await c.write(frame);
      const [res] = await c.waitForFrames(1);
      const body = decodeResponse(res.frame, ApiKey.Produce, 9).body;
      expect(body.responses[0].partitionResponses[0].errorCode).toBe(0);
    } finally {
      c.close();
    }
  });
});

// ---------------------------------------------------------------- malformed requests

describe('malformed requests close only their own connection', () => {
  let bystander: WireClient;
  beforeAll(async () => {
    bystander = await WireClient.connect(kafka.port);
  });
  afterAll(() => bystander.close());

  async function expectClosedBy(bytes: Buffer): Promise<void> {
    const c = await RawConnection.connect(kafka.port);
    await c.write(bytes);
    expect(await c.waitForClose(3000)).toBe(true);
    expect(c.frames).toHaveLength(0);
    // another, already open connection is unaffected
    const md = await bystander.send(ApiKey.Metadata, 12, createMetadataRequest({ topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }] }));
    expect(md.topics[0].errorCode).toBe(0);
  }

  it('random bytes after a valid size prefix (seeded)', async () => {
    const rnd = prng(0xbadbeef);
    for (let i = 0; i < 30; i++) {
      await expectClosedBy(frameOf(rnd.bytes(rnd.int(1, 300))));
    }
  });

  it('pure random bytes (seeded): the connection is closed or left waiting, never answered, and the broker serves on', async () => {
    const rnd = prng(42);
    const conns: RawConnection[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await RawConnection.connect(kafka.port);
      await c.write(rnd.bytes(rnd.int(1, 4096)));
      conns.push(c);
    }
    await sleep(300);
    for (const c of conns) {
      expect(c.frames).toHaveLength(0);
      c.close();
    }
    expect(conns.filter((c) => c.isClosed).length).toBeGreaterThan(0);
    await assertServing();
  });

  it('an API key the protocol does not define', async () => {
    await expectClosedBy(encodeRequest(ApiKey.ApiVersions, 3, 1, 'x', createApiVersionsRequest()).fill(0x7f, 4, 5)); // key 0x7f12
    const bytes = Buffer.alloc(12);
    bytes.writeInt32BE(8, 0);
    bytes.writeInt16BE(9999, 4);
    bytes.writeInt16BE(0, 6);
    bytes.writeInt32BE(1, 8);
    await expectClosedBy(bytes);
  });

  it('an API the protocol defines but this broker does not serve', async () => {
    const served = new Set(kafka.broker.registry.list().map((h) => h.api.apiKey));
    const unserved = [...API_DEFINITIONS.values()].filter((d) => !served.has(d.apiKey) && d.listeners.includes('broker')).slice(0, 5);
    expect(unserved.length).toBeGreaterThan(0);
    for (const def of unserved) {
      await expectClosedBy(encodeRequest(def.apiKey, def.minVersion, 1, 'x', def.request.create()));
    }
  });

  it.each([
    ['Metadata v13 (above the range)', ApiKey.Metadata, 13],
    ['Fetch v3 (below the range)', ApiKey.Fetch, 3],
    ['Produce v12', ApiKey.Produce, 12],
    ['ListOffsets v10', ApiKey.ListOffsets, 10],
    ['Fetch v-1', ApiKey.Fetch, -1],
  ])('a known API at an unsupported version: %s', async (_name, apiKey, version) => {
    const handler = kafka.broker.registry.get(apiKey)!;
    expect(version < handler.minVersion || version > handler.maxVersion).toBe(true);
    // the body is irrelevant: the version gate runs before it is decoded
    const header = encodeRequest(ApiKey.Metadata, 1, 7, 'x', createMetadataRequest({ topics: null }));
    header.writeInt16BE(apiKey, 4);
    header.writeInt16BE(version, 6);
    await expectClosedBy(header);
  });

  it('ApiVersions at an unsupported version is answered with UNSUPPORTED_VERSION and the ranges, in a v0 body (KIP-511)', async () => {
    const served = kafka.broker.registry.list().map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
    const c = await RawConnection.connect(kafka.port);
    try {
      const versions = [4, 5, 127, 32767];
      for (const [i, v] of versions.entries()) {
        // as a newer client would send it: request header v2 with a flexible body
        const frame = encodeRequest(ApiKey.ApiVersions, 3, 50 + i, 'future-client', createApiVersionsRequest({ clientSoftwareName: 'x', clientSoftwareVersion: '9' }));
        frame.writeInt16BE(v, 6);
        await c.write(frame);
      }
      const frames = await c.waitForFrames(versions.length);
      for (const [i, f] of frames.entries()) {
        expect(f.correlationId).toBe(50 + i);
        // exact bytes: size, correlation id, then the v0 body (no tagged fields anywhere), nothing left over
        const decoded = decodeResponse(f.frame, ApiKey.ApiVersions, 0);
        expect(decoded.headerVersion).toBe(0);
        expect(decoded.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
        expect(decoded.body.apiKeys).toEqual(served);
        expect(f.frame.readInt16BE(8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
        expect(f.frame.readInt32BE(10)).toBe(served.length);
        expect(f.frame.length).toBe(4 + 4 + 2 + 4 + served.length * 6);
        expect(decoded.body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)).toEqual({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 });
      }
      // the connection stays usable: the client falls back to v3
      await c.write(encodeRequest(ApiKey.ApiVersions, 3, 60, 'future-client', createApiVersionsRequest({ clientSoftwareName: 'x', clientSoftwareVersion: '9' })));
      const [, , , , ok] = await c.waitForFrames(versions.length + 1);
      expect(ok.correlationId).toBe(60);
      const v3 = decodeResponse(ok.frame, ApiKey.ApiVersions, 3);
      expect(v3.headerVersion).toBe(0); // ApiVersions responses always use response header v0
      expect(ok.frame.readInt16BE(8)).toBe(0); // the error code follows the correlation id directly
      expect(v3.body.errorCode).toBe(0);
      expect(v3.body.apiKeys).toEqual(served);
      expect(c.isClosed).toBe(false);
    } finally {
      c.close();
    }
  });

  it.each([
    ['', '1.0', ErrorCode.INVALID_REQUEST],
    ['bad name', '1.0', ErrorCode.INVALID_REQUEST],
    ['@platformatic/kafka', '1.0', ErrorCode.INVALID_REQUEST],
    ['librdkafka', '2.3.0-', ErrorCode.INVALID_REQUEST],
    ['librdkafka', '2.3.0', 0],
    ['confluent-kafka-python', '2.3.0-rdkafka-2.3.0', 0],
    ['platformatic-kafka', '1.35.0', 0],
  ])('ApiVersions v3 checks the client software name %j and version %j (KIP-511)', async (name, version, errorCode) => {
    const c = await WireClient.connect(kafka.port);
    try {
      const res = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: name, clientSoftwareVersion: version }));
      expect(res.errorCode).toBe(errorCode);
      expect(res.apiKeys.length > 0).toBe(errorCode === 0);
      // older versions carry no software name, so nothing is checked
      expect((await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 2, createApiVersionsRequest())).errorCode).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a truncated request (the frame ends before the body does) closes the connection, for every served API and version', async () => {
    for (const h of kafka.broker.registry.list()) {
      for (const version of new Set([h.minVersion, Math.floor((h.minVersion + h.maxVersion) / 2), h.maxVersion])) {
        const full = encodeRequest(h.api.apiKey, version, 1, 'trunc', sampleBody(h.api.apiKey, version) ?? h.api.request.create());
        const headerEnd = full.length - encodeBodyLength(h.api.apiKey, version);
        for (const cut of [1, Math.max(1, Math.floor((full.length - headerEnd) / 2))]) {
          const payload = full.subarray(4, full.length - cut);
          if (payload.length < 8) continue;
          await expectClosedBy(frameOf(Buffer.from(payload)));
        }
      }
    }
  });

  it('(control) a valid request for every served API at every version is answered and leaves the connection open', async () => {
    const failures: string[] = [];
    for (const h of kafka.broker.registry.list()) {
      for (let version = h.minVersion; version <= h.maxVersion; version++) {
        const c = await RawConnection.connect(kafka.port);
        try {
          await c.write(encodeRequest(h.api.apiKey, version, 9, 'control', (sampleBody(h.api.apiKey, version) ?? h.api.request.create()) as never));
          const [f] = await c.waitForFrames(1, 3000);
          decodeResponse(f.frame, h.api.apiKey, version);
        } catch (err) {
          failures.push(`${h.api.name} v${version}: ${(err as Error).message}`);
        } finally {
          c.close();
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('a frame too short to hold a request header closes the connection', async () => {
    for (let n = 0; n < 8; n++) await expectClosedBy(frameOf(Buffer.alloc(n, 0)));
  });
});

/** Valid request bodies for the APIs this suite knows how to fill in; undefined for the rest (their defaults are used). */
function sampleBody(apiKey: number, version: number): unknown {
  switch (apiKey) {
    case ApiKey.ApiVersions:
      return createApiVersionsRequest({ clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' });
    case ApiKey.Metadata:
      return createMetadataRequest({ topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false });
    case ApiKey.Produce:
      if (version >= 3) return produceBody(TOPIC, 1, ['fuzz-a', 'fuzz-b'], 1);
      return createProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 1, records: legacyMessageSet(version < 2 ? 0 : 1) }] }] });
    case ApiKey.Fetch:
      return fetchBody(version, { maxWaitMs: 50, minBytes: 1 });
    case ApiKey.ListOffsets:
      return listOffsetsBody(-1n);
    default:
      return undefined;
  }
}

/** A MessageSet of two v0 or v1 messages, encoded by kafkajs (Produce v0-v2 carry these). */
function legacyMessageSet(messageVersion: 0 | 1): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MessageSet = require('kafkajs/src/protocol/messageSet') as (a: object) => { buffer: Buffer };
  return MessageSet({ messageVersion, entries: [{ key: 'a', value: 'legacy-1' }, { key: null, value: 'legacy-2' }] }).buffer;
}

function encodeBodyLength(apiKey: number, version: number): number {
  const withBody = encodeRequest(apiKey, version, 1, 'trunc', (sampleBody(apiKey, version) ?? API_DEFINITIONS.get(apiKey)!.request.create()) as never);
  const headerOnly = encodeRequest(apiKey, version, 1, 'trunc', Buffer.alloc(0));
  return withBody.length - headerOnly.length;
}

// ---------------------------------------------------------------- fuzzing

describe('seeded fuzzing', () => {
  // Jest gives the test file a copy of `process` whose listeners never fire; the broker's promises are tracked by
  // the real one (where jest-circus also listens and fails the running test). Listen there, and check at the end.
  const realProcess = runInThisContext('process') as NodeJS.Process;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => realProcess.on('unhandledRejection', onUnhandled));
  afterAll(() => realProcess.off('unhandledRejection', onUnhandled));

  type Mutation = 'none' | 'flip' | 'truncate' | 'truncate-keep-size' | 'huge-size' | 'huge-field' | 'garbage' | 'extend';

  function mutate(rnd: ReturnType<typeof prng>, frame: Buffer, kind: Mutation): Buffer {
    const f = Buffer.from(frame);
    switch (kind) {
      case 'none':
        return f;
      case 'flip': {
        const n = rnd.int(1, 6);
        for (let i = 0; i < n; i++) {
          const at = rnd.int(4, f.length - 1);
          f[at] ^= 1 << rnd.int(0, 7);
        }
        return f;
      }
      case 'truncate': {
        const payload = f.subarray(4, rnd.int(4, f.length - 1));
        return frameOf(Buffer.from(payload));
      }
      case 'truncate-keep-size':
        // the size prefix still claims the whole frame: the broker must wait, not read past the data
        return f.subarray(0, rnd.int(4, f.length - 1));
      case 'huge-size':
        f.writeInt32BE(rnd.pick([0x7fffffff, -0x80000000, MAX_REQUEST_BYTES + 1, -1, 0x40000000]), 0);
        return f;
      case 'huge-field': {
        // overwrite an aligned word of the body (often a length or count) with a huge or negative value
        const n = rnd.int(1, 3);
        for (let i = 0; i < n && f.length >= 16; i++) {
          const at = rnd.int(12, f.length - 4);
          if (rnd.next() < 0.5) f.writeInt32BE(rnd.pick([0x7fffffff, -1, -2, 0x10000000, 0x00ffffff]), at);
          else f.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, Math.min(5, f.length - at)), at); // a huge uvarint
        }
        return f;
      }
      case 'garbage':
        return frameOf(rnd.bytes(rnd.int(0, 600)));
      case 'extend':
        return frameOf(Buffer.concat([f.subarray(4), rnd.bytes(rnd.int(1, 64))]));
    }
  }

  it('survives several hundred mutated requests for every served API over concurrent connections', async () => {
    const rnd = prng(20240607);
    const handlers = kafka.broker.registry.list();
    const kinds: Mutation[] = ['none', 'flip', 'flip', 'truncate', 'truncate-keep-size', 'huge-size', 'huge-field', 'huge-field', 'garbage', 'extend'];
    const frames: { bytes: Buffer; kind: Mutation; api: string; version: number }[] = [];
    for (let i = 0; i < 600; i++) {
      const h = rnd.pick(handlers);
      const version = rnd.int(h.minVersion, h.maxVersion);
      const body = sampleBody(h.api.apiKey, version) ?? h.api.request.create();
      const valid = encodeRequest(h.api.apiKey, version, 1_000_000 + i, 'fuzz', body as never);
      const kind = rnd.pick(kinds);
      frames.push({ bytes: mutate(rnd, valid, kind), kind, api: h.api.name, version });
    }
    const unansweredValid: string[] = [];
    const before = memory();
    const stats = { answered: 0, closedByBroker: 0, abandoned: 0 };
    const CONNECTIONS = 8;
    const probe = (id: number) => encodeRequest(ApiKey.ApiVersions, 0, id, 'probe', createApiVersionsRequest());

    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, w) => {
        let conn = await RawConnection.connect(kafka.port);
        for (let i = w; i < frames.length; i += CONNECTIONS) {
          // each fuzzed frame is followed by a probe: the broker either answers the probe (after anything the frame
          // produced), closes the connection, or is still waiting for the rest of a frame that claimed more bytes
          const probeId = 2_000_000 + i;
          await conn.write(Buffer.concat([frames[i].bytes, probe(probeId)])).catch(() => undefined);
          const deadline = Date.now() + 400;
          let outcome: 'answered' | 'closed' | 'waiting' = 'waiting';
          while (Date.now() < deadline) {
            if (conn.frames.some((f) => f.correlationId === probeId)) {
              outcome = 'answered';
              break;
            }
            if (conn.isClosed) {
              outcome = 'closed';
              break;
            }
            await sleep(5);
          }
          // an unmodified request is always answered (a handler that cannot answer its own API's request is a bug)
          if (frames[i].kind === 'none' && outcome !== 'answered') unansweredValid.push(`${frames[i].api} v${frames[i].version}: ${outcome}`);
          if (outcome === 'answered') stats.answered++;
          else if (outcome === 'closed') stats.closedByBroker++;
          else stats.abandoned++;
          if (outcome !== 'answered') {
            conn.close();
            conn = await RawConnection.connect(kafka.port);
          }
        }
        conn.close();
      }),
    );

    // every kind of outcome happened, and the broker is still healthy
    expect(unansweredValid).toEqual([]);
    expect(stats.answered).toBeGreaterThan(50);
    expect(stats.closedByBroker).toBeGreaterThan(50);
    await assertServing();
    const after = memory();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);

    // a fresh kafkajs client still works end to end
    const client = new Kafka({ brokers: [kafka.bootstrap], clientId: 'after-fuzz', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = client.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    expect(md.topics[0].partitions).toHaveLength(2);
    const producer = client.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, key: 'after', value: 'fuzz' }] });
    expect(sent.errorCode).toBe(0);
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    expect(offsets.find((o) => o.partition === 0)!.high).toBe(String(BigInt(sent.baseOffset!) + 1n));
    await producer.disconnect();
    await admin.disconnect();

    await sleep(50);
    expect(unhandled).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------- pipelining

describe('pipelining', () => {
  type Sent = { correlationId: number; apiKey: number; version: number };

  function pipelineFrames(count: number, hw: bigint): { bytes: Buffer; sent: Sent[] } {
    const frames: Buffer[] = [];
    const sent: Sent[] = [];
    for (let i = 0; i < count; i++) {
      const correlationId = i + 1;
      let apiKey: number;
      let version: number;
      let body: unknown;
      switch (i % 5) {
        case 0: // slow: nothing to read at the high watermark, so it waits MaxWaitMs
          [apiKey, version, body] = [ApiKey.Fetch, 12, fetchBody(12, { offset: hw, maxWaitMs: 200, minBytes: 1 })];
          break;
        case 1:
          [apiKey, version, body] = [ApiKey.Metadata, 12, createMetadataRequest({ topics: null })];
          break;
        case 2:
          [apiKey, version, body] = [ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: 'pipe', clientSoftwareVersion: '1' })];
          break;
        case 3:
          [apiKey, version, body] = [ApiKey.ListOffsets, 7, listOffsetsBody(-2n)];
          break;
        default: // fast: data is there
          [apiKey, version, body] = [ApiKey.Fetch, 4, fetchBody(4, { offset: 0n })];
      }
      frames.push(encodeRequest(apiKey, version, correlationId, 'pipe', body as never));
      sent.push({ correlationId, apiKey, version });
    }
    return { bytes: Buffer.concat(frames), sent };
  }

  async function expectInOrder(c: RawConnection, sent: Sent[]) {
    const frames = await c.waitForFrames(sent.length, 20_000);
    expect(frames.map((f) => f.correlationId)).toEqual(sent.map((s) => s.correlationId));
    for (const [i, f] of frames.entries()) {
      const body = decodeResponse(f.frame, sent[i].apiKey, sent[i].version).body as { errorCode?: number };
      if (sent[i].apiKey === ApiKey.ApiVersions) expect(body.errorCode).toBe(0);
    }
  }

  it('answers 100 requests written in one write in order, slow long-polls and fast requests mixed', async () => {
    const hw = kafka.broker.logs.log(TOPIC, 0)!.highWatermark;
    const { bytes, sent } = pipelineFrames(100, hw);
    const c = await RawConnection.connect(kafka.port);
    try {
      const started = Date.now();
      await c.write(bytes);
      await expectInOrder(c, sent);
      // the 20 slow fetches ran concurrently, not one after another (20 x 200 ms)
      expect(Date.now() - started).toBeLessThan(2500);
      const slow = decodeResponse(c.frames[0].frame, ApiKey.Fetch, 12).body as FetchResponse;
      expect(slow.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    } finally {
      c.close();
    }
  });

  it('an acks=0 produce in the middle gets no response, and later requests are still answered in order', async () => {
    const log = kafka.broker.logs.log(TOPIC, 1)!;
    const hwBefore = log.highWatermark;
    const first = pipelineFrames(50, kafka.broker.logs.log(TOPIC, 0)!.highWatermark);
    const second = pipelineFrames(50, kafka.broker.logs.log(TOPIC, 0)!.highWatermark);
    const shifted = second.sent.map((s) => ({ ...s, correlationId: s.correlationId + 1000 }));
    const secondBytes = Buffer.concat(shifted.map((s, i) => reencodeWithId(second.bytes, i, s.correlationId)));
    const acks0 = encodeRequest(ApiKey.Produce, 9, 500, 'pipe', produceBody(TOPIC, 1, ['no', 'answer'], 0));
    const c = await RawConnection.connect(kafka.port);
    try {
      await c.write(Buffer.concat([first.bytes, acks0, secondBytes]));
      await expectInOrder(c, [...first.sent, ...shifted]);
      await sleep(300);
      expect(c.frames.map((f) => f.correlationId)).not.toContain(500);
      expect(c.frames).toHaveLength(100);
      expect(log.highWatermark).toBe(hwBefore + 2n);
    } finally {
      c.close();
    }
  });
});

/** The i-th frame of a concatenation of frames, with its correlation id replaced. */
function reencodeWithId(frames: Buffer, index: number, correlationId: number): Buffer {
  let pos = 0;
  for (let i = 0; i < index; i++) pos += 4 + frames.readInt32BE(pos);
  const frame = Buffer.from(frames.subarray(pos, pos + 4 + frames.readInt32BE(pos)));
  frame.writeInt32BE(correlationId, 8);
  return frame;
}

// ---------------------------------------------------------------- bounded memory with a slow reader

describe('a client that stops reading', () => {
  const IN_FLIGHT = 16;
  let small: TestBroker;
  let bigTopicId: string;

  beforeAll(async () => {
    small = await createTestBroker({ config: { 'queued.max.requests': String(IN_FLIGHT) }, logLevel: 'error' });
    bigTopicId = (await small.broker.logs.createTopic('big', { partitions: 1 })).topicId;
    const c = await WireClient.connect(small.port);
    // 16 MiB of incompressible data in 512 KiB batches
    for (let i = 0; i < 32; i++) {
      const records = encodeRecordBatch({ records: [{ key: null, value: randomBytes(512 * 1024), headers: [], timestamp: BigInt(Date.now()) }] });
      await c.send(ApiKey.Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: 'big', partitionData: [{ index: 0, records }] }] }));
    }
    c.close();
  });
  afterAll(async () => small.close());

  it('pipelines 100 requests through a small in-flight window, in order', async () => {
    const frames: Buffer[] = [];
    for (let i = 1; i <= 100; i++) {
      const body = i % 3 === 0 ? createMetadataRequest({ topics: null }) : createApiVersionsRequest();
      frames.push(encodeRequest(i % 3 === 0 ? ApiKey.Metadata : ApiKey.ApiVersions, i % 3 === 0 ? 12 : 0, i, 'window', body as never));
    }
    const c = await RawConnection.connect(small.port);
    try {
      await c.write(Buffer.concat(frames));
      const got = await c.waitForFrames(100);
      expect(got.map((f) => f.correlationId)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      c.close();
    }
  });

  it.each([
    ['all at once', 0],
    ['one at a time, so the in-flight limit is never reached', 5],
  ])('does not make the broker buffer responses without bound when the requests come %s', async (_how, gapMs) => {
    const REQUESTS = 300; // 300 x 1 MiB responses if the broker read them all
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: small.port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.pause(); // never read
    const frames: Buffer[] = [];
    for (let i = 1; i <= REQUESTS; i++) {
      frames.push(encodeRequest(ApiKey.Fetch, 13, i, 'slow', fetchBody(13, { id: bigTopicId, offset: BigInt((i * 3) % 30), partitionMaxBytes: MiB, maxBytes: MiB })));
    }
    const listener = small.broker['listener'];
    const brokerSide = () => [...listener.connections].find((c) => c.remote.endsWith(`:${socket.localPort}`));
    const before = memory();
    let maxBuffered = 0;
    let maxArrayBuffers = before.arrayBuffers;
    const sample = () => {
      const conn = brokerSide();
      if (conn) maxBuffered = Math.max(maxBuffered, conn.socket.writableLength);
      maxArrayBuffers = Math.max(maxArrayBuffers, memory().arrayBuffers);
    };
    if (gapMs === 0) socket.write(Buffer.concat(frames));
    else {
      for (const f of frames) {
        socket.write(f);
        await sleep(gapMs);
        sample();
      }
    }
    const sampleUntil = Date.now() + 1500;
    while (Date.now() < sampleUntil) {
      sample();
      await sleep(10);
    }
    // other clients are served meanwhile
    const other = await WireClient.connect(small.port);
    const md = await other.send(ApiKey.Metadata, 12, createMetadataRequest({ topics: null }));
    expect(md.topics.map((t: { name: string }) => t.name)).toContain('big');
    other.close();

    // at most the in-flight window of responses (plus one socket high-water mark) is ever queued
    expect(brokerSide()).toBeDefined();
    expect(maxBuffered).toBeLessThan((IN_FLIGHT + 2) * 1.1 * MiB);
    expect(maxArrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);

    // once the client reads again, every response arrives, in order
    const ids = await countFrames(socket, REQUESTS);
    expect(ids).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
    socket.destroy();
  }, 60_000);
});

/** Resumes a paused socket and collects the correlation ids of `n` response frames without keeping their bytes. */
function countFrames(socket: Socket, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const ids: number[] = [];
    let head = Buffer.alloc(0);
    let skip = 0;
    const timer = setTimeout(() => reject(new Error(`only ${ids.length} of ${n} frames`)), 30_000);
    socket.on('data', (chunk: Buffer) => {
      let pos = 0;
      while (pos < chunk.length) {
        if (skip > 0) {
          const k = Math.min(skip, chunk.length - pos);
          skip -= k;
          pos += k;
          continue;
        }
        const need = 8 - head.length;
        const k = Math.min(need, chunk.length - pos);
        head = Buffer.concat([head, chunk.subarray(pos, pos + k)]);
        pos += k;
        if (head.length === 8) {
          ids.push(head.readInt32BE(4));
          skip = head.readInt32BE(0) - 4;
          head = Buffer.alloc(0);
        }
      }
      if (ids.length >= n && skip === 0) {
        clearTimeout(timer);
        resolve(ids);
      }
    });
    socket.resume();
  });
}
