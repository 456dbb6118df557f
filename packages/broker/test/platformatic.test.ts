// @platformatic/kafka (1.35) against the broker: a modern-only client (ApiVersions v3 first, Produce 7+, Fetch 12+
// with topic ids from 13, Metadata 9+, ListOffsets 5+: every request flexible). It is ESM-only, which Jest cannot
// load, so it runs in a child process (support/platformatic-child.mts) against the broker started here.
//
// Its Consumer has no manual assignment for streams (consume() always joins a group), so records are read back
// without a group through its lower-level Consumer.fetch / listOffsets, and separately through a consumer group.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { CompressionType, decodeRecordBatches } from '@tributary/protocol';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(__dirname, '../../..');
const CHILD = path.join(__dirname, 'support/platformatic-child.mts');

let kafka: TestBroker;
/** Every request the broker served: connection, API name and version, in arrival order. */
const seen: { conn: number; api: string; version: number }[] = [];

beforeAll(async () => {
  kafka = await createTestBroker({ logLevel: 'error' });
  for (const h of kafka.broker.registry.list()) {
    kafka.broker.intercept(h.api.apiKey, (_req, ctx, next) => {
      seen.push({ conn: ctx.connectionId, api: h.api.name, version: ctx.apiVersion });
      return next();
    });
  }
});
afterAll(async () => kafka.close());

function platformatic(scenario: string, params: Record<string, unknown>, timeoutMs = 60_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, kafka.bootstrap, scenario, JSON.stringify(params)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`platformatic ${scenario} exited with ${code}:\n${err}\n${out}`));
    });
  });
}

/** The highest version of each API @platformatic/kafka implements, read from its dist/apis/<group>/<api>-v<N>.js files. */
const PLATFORMATIC_MAX_VERSIONS: ReadonlyMap<string, number> = (() => {
  const apis = path.join(ROOT, 'node_modules/@platformatic/kafka/dist/apis');
  const max = new Map<string, number>();
  for (const group of readdirSync(apis, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(path.join(apis, group.name))) {
      const m = /^([a-z-]+)-v(\d+)\.js$/.exec(file);
      if (!m) continue;
      const name = m[1].replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase());
      max.set(name, Math.max(max.get(name) ?? -1, Number(m[2])));
    }
  }
  return max;
})();

// zstd needs zlib.zstdCompressSync (Node 22.15+); on older Node platformatic cannot compress with it.
const CODECS: [string, CompressionType][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ...(typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function' ? [['zstd', CompressionType.Zstd] as [string, CompressionType]] : []),
];

describe('@platformatic/kafka without a consumer group', () => {
  it.each(CODECS)('produces keyed records with headers to several partitions (%s) and reads them back with fetch and listOffsets', async (codec, codecId) => {
    const topic = `platformatic-${codec}`;
    const PARTITIONS = 3;
    const COUNT = 30;
    const info = await kafka.broker.logs.createTopic(topic, { partitions: PARTITIONS });
    const from = seen.length;
    const r = await platformatic('produce-fetch', { topic, partitions: PARTITIONS, count: COUNT, compression: codec });

    // what the producer was told
    const perPartition = COUNT / PARTITIONS;
    expect(r.produced).toEqual(expect.arrayContaining(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: '0' }))));
    expect(r.producedLate).toEqual(expect.arrayContaining(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: String(perPartition) }))));

    // metadata and offsets
    expect(r.topicId).toBe(info.topicId);
    expect(r.partitionsCount).toBe(PARTITIONS);
    expect(r.leaders).toEqual(Array(PARTITIONS).fill(kafka.broker.nodeId));
    expect(r.latest).toEqual(Array(PARTITIONS).fill(String(perPartition + 1)));
    expect(r.earliest).toEqual(Array(PARTITIONS).fill('0'));
    // the first record with timestamp >= base + 3, per partition (record i went to partition i % 3 with base + i)
    for (let p = 0; p < PARTITIONS; p++) {
      const i = Array.from({ length: COUNT }, (_, k) => k).find((k) => k >= 3 && k % PARTITIONS === p)!;
      expect(r.byTimestamp[p]).toEqual({ offset: String(Math.floor(i / PARTITIONS)), timestamp: String(1_700_000_000_000 + i) });
    }

    // every record comes back on its partition, in order, with key, value, headers and timestamp
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = Array.from({ length: COUNT }, (_, i) => i)
        .filter((i) => i % PARTITIONS === p)
        .map((i, n) => ({
          offset: String(n),
          timestamp: String(1_700_000_000_000 + i),
          key: `key-${i}`,
          value: `value-${i}-${'x'.repeat(i % 7)}`,
          headers: [
            ['h-index', String(i)],
            ['h-source', 'platformatic'],
          ],
        }));
      expected.push({ offset: String(perPartition), timestamp: String(1_700_000_100_000 + p), key: `late-${p}`, value: `late-value-${p}`, headers: [] });
      expect(r.fetched[p]).toEqual(expected);
      // stored as sent: one batch per send, with the producer's codec
      expect(r.batches[p].map((b: { attributes: number }) => b.attributes & 0x07)).toEqual([codecId, codecId]);
      expect(r.batches[p].map((b: { firstOffset: string }) => b.firstOffset)).toEqual(['0', String(perPartition)]);

      // and our own decoder reads platformatic's encoding from the log
      const read = await kafka.broker.logs.log(topic, p)!.read(0n, 1024 * 1024);
      const batches = decodeRecordBatches(read.records).batches;
      expect(batches.map((b) => b.compression)).toEqual([codecId, codecId]);
      expect(batches.flatMap((b) => b.records.map((x) => x.value!.toString()))).toEqual(expected.map((e) => e.value));
      expect(batches[0].records[0].headers.map((h) => [h.key, h.value?.toString()])).toEqual(expected[0].headers);
    }

    // a long-poll at the end of a partition waits MaxWaitMs and answers without data
    expect(r.longPoll.errorCode).toBe(0);
    expect(r.longPoll.batches).toBe(0);
    expect(r.longPoll.ms).toBeGreaterThanOrEqual(380);

    // the client negotiated flexible versions for everything, and asked ApiVersions v3 first on every connection
    // (the highest version both sides implement: platformatic's from its apis/ files, ours from the registry)
    const used = seen.slice(from);
    const expectedVersions = ['Produce', 'Fetch', 'Metadata', 'ListOffsets'].map((api) => {
      const ours = kafka.broker.registry.list().find((h) => h.api.name === api)!.maxVersion;
      return `${api} v${Math.min(ours, PLATFORMATIC_MAX_VERSIONS.get(api)!)}`;
    });
    expect(new Set(used.filter((u) => u.api !== 'ApiVersions').map((u) => `${u.api} v${u.version}`))).toEqual(new Set(expectedVersions));
    expect(PLATFORMATIC_MAX_VERSIONS.get('Fetch')).toBeGreaterThanOrEqual(13); // so topic ids were exercised
    const firstPerConnection = new Map<number, string>();
    for (const u of used) if (!firstPerConnection.has(u.conn)) firstPerConnection.set(u.conn, `${u.api} v${u.version}`);
    expect(new Set(firstPerConnection.values())).toEqual(new Set(['ApiVersions v3']));
  }, 90_000);
});

describe('@platformatic/kafka with a consumer group', () => {
  it('consumes from the earliest offset, commits, and resumes from the committed offsets', async () => {
    const topic = 'platformatic-group';
    const groupId = 'platformatic-group-1';
    await kafka.broker.logs.createTopic(topic, { partitions: 3 });
    const producer = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const send = (from: number, n: number) =>
      producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition: (from + i) % 3, key: `k${from + i}`, value: `v${from + i}` })) });
    await send(0, 12);

    const first = await platformatic('group', { topic, groupId, expect: 12, mode: 'earliest', partitions: 3 });
    expect(first.received.map((m: { value: string }) => m.value).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort());
    expect(first.received.map((m: { key: string }) => m.key)).toEqual(first.received.map((m: { value: string }) => m.value.replace('v', 'k')));
    expect(first.committed).toEqual({ [topic]: ['4', '4', '4'] });
    const used = seen.filter((u) => ['FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetCommit'].includes(u.api)).map((u) => u.api);
    expect(new Set(used)).toEqual(new Set(['FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetCommit']));

    // more records; the same group resumes where it committed and sees only the new ones
    await send(12, 6);
    const second = await platformatic('group', { topic, groupId, expect: 6, mode: 'committed', partitions: 3 });
    expect(second.received.map((m: { value: string }) => m.value).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `v${12 + i}`).sort());
    expect(second.committed).toEqual({ [topic]: ['6', '6', '6'] });
    await producer.disconnect();
  }, 90_000);
});
