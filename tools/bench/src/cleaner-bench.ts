// Log cleaner benchmark: cleaning throughput on a compacted partition of about 200 MB (10 000 distinct keys, 1 KiB
// records, every key updated about 20 times), uncompressed and LZ4, with the cleaner's work in its worker thread
// (log.cleaner.threads=1, the default) and on the event loop (0); and the produce latency of another partition of
// the same broker while the cleaner runs against without it, from a client in its own process (open loop), with
// the broker's event-loop delay. Two ceilings, measured in the same run on the same files: A, the brief's, reads
// the partition and writes all of it back with plain fs calls (1 MiB steps, one fsync); B does exactly the I/O the
// pass did (it reads the dirty section once to map it and the whole log once to clean it, and writes only what it
// keeps), without any of its work.
//   npx tsx --conditions=tributary-source tools/bench/src/main.ts cleaner      (or after `npm run build`, without the flag)
// Environment: BENCH_CLEANER_MB (partition size, default 200), BENCH_CLEANER_RATE (produce requests per second
// during the latency runs, default 2000), BENCH_CLEANER_RUNS (partitions cleaned under load, default 3),
// BENCH_KEEP=1 keeps the temp data dir.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { CompressionType, encodeRecordBatch } from '@tributary/protocol';

const TARGET_MB = Number(process.env.BENCH_CLEANER_MB ?? 200);
const RATE = Number(process.env.BENCH_CLEANER_RATE ?? 2000);
const LOADED_RUNS = Number(process.env.BENCH_CLEANER_RUNS ?? 3);
const KEYS = 10_000;
const VALUE_BYTES = 1000;
const PER_BATCH = 100;
const MB = 1e6;

type Log = NonNullable<ReturnType<TestBroker['broker']['logs']['log']>>;

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Fills a partition with ~TARGET_MB of keyed records (keys round-robin over KEYS), then rolls it. */
async function fill(log: Log, compression: CompressionType, mb = TARGET_MB): Promise<number> {
  // random base64 text: LZ4 barely shrinks it, so the lz4 run measures the codec's passes over the data
  const values = Array.from({ length: 64 }, () => Buffer.from(randomBytes(VALUE_BYTES).toString('base64').slice(0, VALUE_BYTES)));
  let k = 0;
  let round = 0;
  while (log.size < mb * MB) {
    const now = BigInt(Date.now());
    const records = Array.from({ length: PER_BATCH }, (_, i) => ({
      key: Buffer.from(`key-${String((k + i) % KEYS).padStart(5, '0')}`),
      value: Buffer.concat([Buffer.from(`r${round}:`), values[(k + i + round) % values.length]]),
      timestamp: now,
    }));
    await log.append(encodeRecordBatch({ records, compression }), { acks: 1 });
    k += PER_BATCH;
    if (k % KEYS === 0) round++;
  }
  log.roll();
  return log.size;
}

/** Reads every sealed segment of the log in 1 MiB steps and writes the bytes to one new file, then fsyncs it. */
async function ceiling(log: Log, scratch: string): Promise<{ bytes: number; seconds: number }> {
  const files = log.segments.slice(0, -1).map((s) => s.filePath('.log'));
  const buf = Buffer.allocUnsafe(1 << 20);
  const out = await fs.promises.open(path.join(scratch, 'ceiling.out'), 'w');
  const t0 = performance.now();
  let written = 0;
  for (const f of files) {
    const h = await fs.promises.open(f, 'r');
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      await out.write(buf, 0, bytesRead, written);
      written += bytesRead;
    }
    await h.close();
  }
  await out.datasync();
  const seconds = (performance.now() - t0) / 1000;
  await out.close();
  fs.rmSync(path.join(scratch, 'ceiling.out'));
  return { bytes: written, seconds };
}

/**
 * The I/O the pass did, without its work: `read` bytes read from the partition's files (1 MiB steps, again from the
 * start when the end is reached) and `written` bytes written and fsynced. Returns MB of partition (`size`) per second.
 */
async function ioCeiling(log: Log, scratch: string, read: number, written: number, size: number): Promise<number> {
  const files = log.segments.map((s) => s.filePath('.log'));
  const buf = Buffer.allocUnsafe(1 << 20);
  const handles = await Promise.all(files.map((f) => fs.promises.open(f, 'r')));
  const out = await fs.promises.open(path.join(scratch, 'io-ceiling.out'), 'w');
  const t0 = performance.now();
  let done = 0;
  for (let i = 0; done < read; i = (i + 1) % handles.length) {
    for (let pos = 0; done < read; ) {
      const { bytesRead } = await handles[i].read(buf, 0, Math.min(buf.length, read - done), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      done += bytesRead;
    }
  }
  for (let w = 0; w < written; w += buf.length) await out.write(buf, 0, Math.min(buf.length, written - w), w);
  await out.datasync();
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([...handles.map((h) => h.close()), out.close()]);
  fs.rmSync(path.join(scratch, 'io-ceiling.out'));
  return size / MB / seconds;
}

/** Starts the latency client and resolves once it is sending; `stop()` ends it and resolves with its samples. */
async function latencyClient(port: number, topic: string): Promise<{ stop: () => Promise<[number, number][]> }> {
  const script = path.join(__dirname, 'cleaner', 'latency-child.ts');
  const child = spawn(process.execPath, [...process.execArgv, script, String(port), topic, String(RATE), '600'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) ready();
  });
  const exited = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`latency client exited with ${code}`)))));
  await Promise.race([isReady, exited]);
  return {
    stop: async () => {
      child.stdin.write('stop\n');
      await exited;
      return (JSON.parse(out.slice('ready\n'.length)) as { samples: [number, number][] }).samples;
    },
  };
}

function summarise(samples: [number, number][], from = -Infinity, to = Infinity): Latency {
  const xs = samples
    .filter(([at]) => at >= from && at <= to)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  const at = (q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
  return { n: xs.length, p50: at(0.5), p99: at(0.99), max: xs[xs.length - 1] ?? NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

interface ModeResult {
  mode: string;
  codec: string;
  size: number;
  soloMBps: number;
  soloSeconds: number;
  loadedMBps: number;
  ceilMBps: number;
  ioCeilMBps: number;
  out: string;
  without: Latency;
  during: Latency;
  loopDuring: { p99: number; max: number; utilisation: number };
}

/** One broker with the given cleaner mode: per codec, cleaning alone, then cleaning while `live` takes produce. */
async function runMode(mode: string, threads: number, dataDir: string): Promise<ModeResult[]> {
  const kafka = await createTestBroker({
    dataDir,
    config: { 'log.cleaner.enable': 'false', 'log.retention.check.interval.ms': '0', 'log.cleaner.threads': String(threads) },
    logLevel: 'warn',
  });
  const logs = kafka.broker.logs;
  const out: ModeResult[] = [];
  try {
    const compacted = { 'cleanup.policy': 'compact', 'segment.bytes': String(64 << 20), 'min.cleanable.dirty.ratio': '0.01' };
    await logs.createTopic('live', { partitions: 1 });
    // warm up on 10 % of the size, both codecs: the first pass starts the worker thread (compiling the cleaner when
    // run from sources) and the JIT gets to the cleaner's hot paths before anything is measured
    for (const [codec, type] of [['none', CompressionType.None], ['lz4', CompressionType.Lz4]] as const) {
      await logs.createTopic(`warm-up-${codec}`, { partitions: 1, configs: compacted });
      await fill(logs.log(`warm-up-${codec}`, 0)!, type, TARGET_MB / 10);
      await logs.cleaner.cleanNow(`warm-up-${codec}`);
    }
    for (const [codec, type] of [['none', CompressionType.None], ['lz4', CompressionType.Lz4]] as const) {
      // 1. cleaning alone, after the ceiling over the same files
      await logs.createTopic(`alone-${codec}`, { partitions: 1, configs: compacted });
      const alone = logs.log(`alone-${codec}`, 0)!;
      const size = await fill(alone, type);
      const ceil = await ceiling(alone, dataDir);
      await sleep(1000);
      let t0 = performance.now();
      const [solo] = await logs.cleaner.cleanNow(`alone-${codec}`);
      const soloSeconds = (performance.now() - t0) / 1000;
      // the same I/O as the pass without its work: read what it read, write what it wrote
      const io = await ioCeiling(logs.log(`alone-${codec}`, 0)!, dataDir, solo.bytesRead, solo.bytesWritten, size);

      // 2. cleaning (LOADED_RUNS fresh partitions) while another partition takes produce requests at a fixed rate
      const parts: Log[] = [];
      for (let i = 0; i < LOADED_RUNS; i++) {
        await logs.createTopic(`loaded-${codec}-${i}`, { partitions: 1, configs: compacted });
        parts.push(logs.log(`loaded-${codec}-${i}`, 0)!);
        await fill(parts[i], type);
      }
      await sleep(1000);
      const before = await latencyClient(kafka.port, 'live');
      await sleep(4000);
      const without = summarise(await before.stop());
      const during = await latencyClient(kafka.port, 'live');
      await sleep(500);
      const windows: [number, number][] = [];
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable(); // across the runs and the idle pauses between them (a re-enabled histogram counts the pause)
      let busy = 0; // main-thread event-loop utilisation while cleaning, weighted by time
      let loadedSeconds = 0;
      for (let i = 0; i < LOADED_RUNS; i++) {
        const from = Date.now();
        t0 = performance.now();
        const elu = performance.eventLoopUtilization();
        const [pass] = await logs.cleaner.cleanNow(`loaded-${codec}-${i}`);
        const seconds = (performance.now() - t0) / 1000;
        busy += performance.eventLoopUtilization(elu).utilization * seconds;
        loadedSeconds += seconds;
        windows.push([from, Date.now()]);
        if (pass.recordsKept !== KEYS) throw new Error(`expected ${KEYS} records kept, got ${pass.recordsKept}`);
        await sleep(300);
      }
      loop.disable();
      const samples = await during.stop();
      const inWindows = samples.filter(([at]) => windows.some(([a, b]) => at >= a && at <= b));
      if (solo.recordsKept !== KEYS) throw new Error(`expected ${KEYS} records kept, got ${solo.recordsKept}`);
      out.push({
        mode,
        codec,
        size,
        soloMBps: size / MB / soloSeconds,
        soloSeconds,
        loadedMBps: (LOADED_RUNS * size) / MB / loadedSeconds,
        ceilMBps: ceil.bytes / MB / ceil.seconds,
        ioCeilMBps: io,
        out: `${f1(solo.bytesWritten / MB)} MB, ${solo.recordsKept}/${solo.recordsRead} records kept`,
        without,
        during: summarise(inWindows),
        loopDuring: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, utilisation: busy / loadedSeconds },
      });
      console.error(`  ${mode} ${codec}: done`);
    }
  } finally {
    await kafka.close();
  }
  return out;
}

export async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-cleaner-bench-'));
  const results: ModeResult[] = [];
  try {
    results.push(...(await runMode('worker thread', 1, path.join(dataDir, 'worker'))));
    results.push(...(await runMode('event loop', 0, path.join(dataDir, 'loop'))));
  } finally {
    if (process.env.BENCH_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const pctOf = (x: number, c: number) => `${f1((100 * x) / c)}%`;
  console.log(`\nCleaner throughput: MB of partition per second (${KEYS} keys, ${VALUE_BYTES} B values, ${PER_BATCH} records per batch)\n`);
  console.log('| cleaner | batches | partition | alone | under produce load | ceiling A: read all + write all back | ceiling B: same I/O as the pass | % of A | % of B | output |');
  console.log('|---------|---------|-----------|-------|--------------------|--------------------------------------|---------------------------------|--------|--------|--------|');
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.codec} | ${f1(r.size / MB)} MB | ${f1(r.soloMBps)} MB/s (${f2(r.soloSeconds)} s) | ${f1(r.loadedMBps)} MB/s | ` +
        `${f1(r.ceilMBps)} MB/s | ${f1(r.ioCeilMBps)} MB/s | ${pctOf(r.soloMBps, r.ceilMBps)} | ${pctOf(r.soloMBps, r.ioCeilMBps)} | ${r.out} |`,
    );
  }
  console.log(`\nProduce latency on another partition (single 100 B records, acks=1, ${RATE}/s open loop, client in its own process): p50 / p99 / max (samples)\n`);
  console.log('| cleaner | batches | cleaner idle | cleaner running | event-loop delay while cleaning p99 / max | main thread busy while cleaning |');
  console.log('|---------|---------|--------------|-----------------|-------------------------------------------|---------------------------------|');
  const lat = (l: Latency) => `${f2(l.p50)} / ${f2(l.p99)} / ${f2(l.max)} ms (${l.n})`;
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.codec} | ${lat(r.without)} | ${lat(r.during)} | ${f2(r.loopDuring.p99)} / ${f2(r.loopDuring.max)} ms | ` +
        `${f1(100 * r.loopDuring.utilisation)}% |`,
    );
  }
}

if (require.main === module) void main();
