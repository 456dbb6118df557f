// Broker benchmark: produce and consume throughput and produce latency of the built broker (apps/broker/dist, its
// own process) with librdkafka (confluent-kafka-python, kcat), kafkajs and the benchmark's ideal client, each
// against a ceiling measured in the same run: a plain Node server (its own process too) that appends the same
// produce frames to a file and acks them (with group-committed fdatasync for acks=all) or streams a file.
//   npm run build && npx tsx tools/bench/src/main.ts broker        (about 2.5 minutes)
// The machine is shared, so the ceiling and the ideal client run in interleaved 1-second rounds and the best round
// of each is kept; server CPU per GB is printed too, being much less sensitive to other load than rates are.
// Environment: BENCH_SECONDS (per client run, default 2), BENCH_ROUNDS (default 3), BENCH_KEEP=1 keeps the temp
// dir, BENCH_BROKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the broker's node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, BrokerConfig } from '@tributary/broker';
import { FrameClient, forSeconds, hello, pump } from './broker/frame-client';
import { deleteTopics, kafkajsProduce } from './broker/kafkajs-client';
import { openLoopLatency } from './broker/latency';
import { brokerBuildIsFresh, freePort, python, run, startBroker, startCeiling, type ServerProcess } from './broker/processes';
import { latencyTable, throughputTable, withCpu, type LatencyRow, type ThroughputRow } from './broker/report';
import { ceilingReadLoop, checkProduceResponse, fetchLoop, produceFrame, recordsPerRequest } from './broker/wire';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = [1024, 100];
const ACKS = [1, -1] as const;
const PIPELINE = 8; // produce requests in flight for the ideal client and the ceiling
const CONSUME_BYTES = 768 * 1024 * 1024; // record values in the consume topic (page cache, one segment)
const FETCH_BYTES = [1024 * 1024, 8 * 1024 * 1024]; // Kafka's default max.partition.fetch.bytes, and a larger one
const LATENCY_PARTITIONS = [1, 100, 1000];
const LATENCY_SIZE = 100;
const MiB = 1024 * 1024;

interface Servers {
  broker: ServerProcess;
  ceiling: ServerProcess;
}

interface RdkafkaProduce {
  records: number;
  bytes: number;
  seconds: number;
  unflushed: number;
  errors: number;
  firstErrors: string[];
  produceRequests: number | null;
  txBytes: number | null;
}

/** A measured rate (bytes of record values per second) and the CPU its server used meanwhile, in cores. */
interface Rate {
  bytes: number;
  records?: number;
  cores: number;
}

const acksName = (acks: 1 | -1) => (acks === -1 ? 'all' : '1');
const topicName = (client: string, size: number, acks: 1 | -1) => `${client}-${size}-acks${acksName(acks)}`;
const best = (rates: Rate[]) => rates.reduce((a, b) => (b.bytes > a.bytes ? b : a));

function row(what: string, client: string, rate: Rate, ceiling: Rate | undefined, note: string): ThroughputRow {
  return { what, client, records: rate.records, bytes: rate.bytes, ceiling: ceiling?.bytes, serverCpu: rate.cores, note };
}

/** Runs `fn` while measuring `server`'s CPU; `fn` resolves with bytes and records counted over `seconds`. */
async function timed(server: ServerProcess, fn: () => Promise<{ bytes: number; records?: number; seconds: number }>): Promise<Rate> {
  const { result, cores } = await withCpu(server.child.pid!, fn);
  return { bytes: result.bytes / result.seconds, records: result.records === undefined ? undefined : result.records / result.seconds, cores };
}

/**
 * Writes back the page cache's dirty data (sync(1)) so that a measurement does not pay for an earlier one's: ext4
 * (data=ordered) makes an fdatasync wait for a journal commit, which writes other files' dirty data too.
 */
async function settle(): Promise<void> {
  await run('sync', [], 120_000);
}

/** Creates every topic the runs use, in-process, before the broker process opens the same data directory. */
async function createTopics(dataDir: string): Promise<void> {
  const prev = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'warn';
  const broker = await Broker.start({ config: BrokerConfig.of({ listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir }) });
  process.env.LOG_LEVEL = prev;
  try {
    for (const size of SIZES) {
      for (const acks of ACKS) {
        for (const client of ['rdkafka', 'kafkajs', 'ideal']) await broker.logs.createTopic(topicName(client, size, acks), { partitions: 1 });
      }
    }
    await broker.logs.createTopic('consume', { partitions: 1 });
    for (const n of LATENCY_PARTITIONS) await broker.logs.createTopic(`latency-${n}`, { partitions: n });
  } finally {
    await broker.close();
  }
}

async function rdkafkaProduce(broker: ServerProcess, size: number, acks: 1 | -1): Promise<Rate & { requestBytes: number }> {
  const args = ['--bootstrap', `127.0.0.1:${broker.port}`, '--topic', topicName('rdkafka', size, acks)];
  args.push('--size', String(size), '--acks', acksName(acks), '--seconds', String(SECONDS));
  const runs: (Rate & { requestBytes: number })[] = [];
  for (let i = 0; i < 2; i++) {
    const { result: r, cores } = await withCpu(broker.child.pid!, () => python<RdkafkaProduce>('produce_throughput.py', args));
    if (r.errors > 0 || r.unflushed > 0) throw new Error(`librdkafka produce failed: ${JSON.stringify(r)}`);
    const requestBytes = r.produceRequests && r.txBytes ? r.txBytes / r.produceRequests : 1_000_000;
    runs.push({ bytes: r.bytes / r.seconds, records: r.records / r.seconds, cores, requestBytes });
  }
  return runs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Ceiling and ideal client alternately, 1 s each, ROUNDS times, with the same frames; the best round of each. */
async function idealAndCeiling(servers: Servers, size: number, acks: 1 | -1, perFrame: number): Promise<{ ideal: Rate; ceiling: Rate }> {
  const frame = produceFrame(topicName('ideal', size, acks), 0, acks, size, perFrame);
  const once = async (server: ServerProcess, greeting: Buffer | undefined, check?: (r: Buffer) => void) => {
    const client = await FrameClient.connect(server.port, greeting);
    try {
      return await timed(server, async () => {
        const r = await pump(client, () => frame.frame, PIPELINE, forSeconds(1), check);
        return { bytes: r.responses * frame.payload, records: r.responses * perFrame, seconds: r.seconds };
      });
    } finally {
      client.close();
    }
  };
  const ceiling: Rate[] = [];
  const ideal: Rate[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ceiling.push(await once(servers.ceiling, hello(acks === -1 ? 'S' : 'W')));
    ideal.push(await once(servers.broker, undefined, checkProduceResponse));
  }
  return { ideal: best(ideal), ceiling: best(ceiling) };
}

async function produceRuns(servers: Servers, rows: ThroughputRow[]): Promise<void> {
  const { broker } = servers;
  for (const size of SIZES) {
    for (const acks of ACKS) {
      const what = `produce ${size === 1024 ? '1 KiB' : `${size} B`} acks=${acksName(acks)}`;
      await settle();
      // librdkafka first: its average request size sizes the ideal client's and the ceiling's frames
      const rd = await rdkafkaProduce(broker, size, acks);
      const perFrame = recordsPerRequest(size, rd.requestBytes);
      const { ideal, ceiling } = await idealAndCeiling(servers, size, acks, perFrame);
      const js = await timed(broker, () =>
        kafkajsProduce(broker.port, topicName('kafkajs', size, acks), { size, acks, batch: perFrame, concurrency: 4, seconds: SECONDS }),
      );
      rows.push(row(what, 'ceiling (plain server)', ceiling, undefined, `${perFrame} records/request, ${PIPELINE} in flight`));
      rows.push(row(what, 'ideal client', ideal, ceiling, 'the same frames'));
      rows.push(row(what, 'librdkafka (python)', rd, ceiling, `linger.ms=5, ${(rd.requestBytes / 1024).toFixed(0)} KiB requests`));
      rows.push(row(what, 'kafkajs', js, ceiling, `4 sends of ${perFrame} in flight`));
      await deleteTopics(broker.port, ['rdkafka', 'kafkajs', 'ideal'].map((c) => topicName(c, size, acks)));
      console.error(`  ${what}: done`);
    }
  }
}

async function consumeRuns(servers: Servers, dataDir: string, rows: ThroughputRow[]): Promise<void> {
  const { broker, ceiling } = servers;
  const size = 1024;
  const fill = produceFrame('consume', 0, 1, size, 1000);
  const client = await FrameClient.connect(broker.port);
  const frames = Math.ceil(CONSUME_BYTES / fill.payload);
  let sent = 0;
  await pump(client, () => (sent++, fill.frame), 4, () => sent < frames, checkProduceResponse);
  client.close();
  const records = frames * fill.records;
  const segment = path.join(dataDir, 'consume-0', '00000000000000000000.log');
  const fileBytes = fs.statSync(segment).size;
  const valueShare = (records * size) / fileBytes; // record values / log bytes: converts log bytes to value bytes
  const what = 'consume 1 KiB from page cache';

  for (const chunk of FETCH_BYTES) {
    const c: Rate[] = [];
    const f: Rate[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      c.push(await timed(ceiling, async () => ceilingReadLoop(ceiling.port, segment, fileBytes, chunk, 1)));
      f.push(await timed(broker, async () => fetchLoop(broker.port, 'consume', chunk, 1)));
    }
    const ceil = { ...best(c), bytes: best(c).bytes * valueShare };
    rows.push(row(what, 'ceiling (plain server)', ceil, undefined, `${chunk / MiB} MiB reads, 1 in flight`));
    rows.push(row(what, 'ideal client (fetch loop)', { ...best(f), bytes: best(f).bytes * valueShare }, ceil, `MaxBytes ${chunk / MiB} MiB`));
  }
  const bootstrap = `127.0.0.1:${broker.port}`;
  const kcat: Rate[] = [];
  for (let i = 0; i < 2; i++) {
    kcat.push(
      await timed(broker, async () => {
        const t0 = performance.now();
        await run('kcat', ['-b', bootstrap, '-C', '-t', 'consume', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', ''], 120_000);
        return { bytes: records * size, records, seconds: (performance.now() - t0) / 1000 };
      }),
    );
  }
  const mib = (fileBytes / MiB).toFixed(0);
  rows.push(row(what, 'kcat (librdkafka)', best(kcat), undefined, `whole ${mib} MiB log, process start included`));
  for (const [label, settings] of [
    ['defaults', []],
    ['max.partition.fetch.bytes=8 MiB', ['--set', `max.partition.fetch.bytes=${8 * MiB}`]],
  ] as const) {
    const args = ['--bootstrap', bootstrap, '--topic', 'consume', '--records', String(records), '--seconds', String(3 * SECONDS), ...settings];
    const py = await timed(broker, async () => {
      const r = await python<{ records: number; bytes: number; seconds: number; errors: string[] }>('consume_throughput.py', args);
      if (r.errors.length > 0) throw new Error(`librdkafka consume failed: ${r.errors.join('; ')}`);
      return r;
    });
    rows.push(row(what, 'librdkafka (python)', py, undefined, `${label}, consume(10000) batches`));
  }
}

async function latencyRuns(broker: ServerProcess, rows: LatencyRow[], peaks: ThroughputRow[]): Promise<void> {
  for (const acks of ACKS) {
    await settle();
    const client = await FrameClient.connect(broker.port);
    try {
      const single = produceFrame('latency-1', 0, acks, LATENCY_SIZE, 1).frame;
      const peak = await timed(broker, async () => {
        const r = await pump(client, () => single, 64, forSeconds(SECONDS), checkProduceResponse);
        return { bytes: r.responses * LATENCY_SIZE, records: r.responses, seconds: r.seconds };
      });
      const cpuPerRequest = (1e6 * peak.cores) / peak.records!;
      const note = `peak, 64 in flight, ${LATENCY_SIZE} B records, 1 per request, ${cpuPerRequest.toFixed(0)} us broker CPU per request`;
      peaks.push(row(`single-record produce acks=${acksName(acks)}`, 'ideal client', peak, undefined, note));
      for (const n of LATENCY_PARTITIONS) {
        const frames = Array.from({ length: n }, (_, p) => produceFrame(`latency-${n}`, p, acks, LATENCY_SIZE, 1).frame);
        const l = await openLoopLatency(client, frames, peak.records! / 2, SECONDS, checkProduceResponse);
        const how = n > 1 ? 'round-robin, one partition per request' : '';
        rows.push({ acks: acksName(acks), partitions: n, rate: l.rate, p50: l.p50, p99: l.p99, max: l.max, note: how });
      }
    } finally {
      client.close();
    }
    console.error(`  latency acks=${acksName(acks)}: done`);
  }
}

export async function main(): Promise<void> {
  if (!brokerBuildIsFresh()) console.error('warning: the broker or protocol sources changed since the last build: run npm run build\n');
  const cpus = os.cpus();
  const load = () => os.loadavg()[0].toFixed(1);
  const date = new Date().toISOString().slice(0, 10);
  console.log(`broker benchmark — Node ${process.version}, ${cpus.length} cores (${cpus[0]?.model ?? 'unknown cpu'}), ${date}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-broker-bench-'));
  const dataDir = path.join(tmp, 'broker');
  const stop: ServerProcess[] = [];
  const produce: ThroughputRow[] = [];
  const consume: ThroughputRow[] = [];
  const latency: LatencyRow[] = [];
  const peaks: ThroughputRow[] = [];
  const loadBefore = load();
  try {
    await createTopics(dataDir);
    const nodeArgs = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean);
    const broker = await startBroker(await freePort(), dataDir, { nodeArgs });
    stop.push(broker);
    const ceiling = await startCeiling(await freePort(), path.join(tmp, 'ceiling'));
    stop.push(ceiling);
    console.log(`data in ${tmp}; ${SECONDS} s per client run, best of ${ROUNDS} interleaved 1 s rounds for ceiling and ideal client\n`);
    await produceRuns({ broker, ceiling }, produce);
    await consumeRuns({ broker, ceiling }, dataDir, consume);
    await latencyRuns(broker, latency, peaks);
  } finally {
    for (const s of stop.reverse()) await s.stop();
    if (process.env.BENCH_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`load average (1 min) ${loadBefore} before, ${load()} after\n`);
  console.log('Produce throughput (MB/s of record values; server CPU: the broker or ceiling process, 100% = one core)\n');
  console.log(throughputTable(produce));
  console.log('\nConsume throughput (MB/s of record values)\n');
  console.log(throughputTable(consume));
  console.log('\nProduce latency at half the peak single-record rate (open loop, from write to response)\n');
  console.log(throughputTable(peaks));
  console.log();
  console.log(latencyTable(latency));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
