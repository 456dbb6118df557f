// Broker benchmark: produce and consume throughput and produce latency of the built broker (apps/broker/dist, its
// own process) with librdkafka (confluent-kafka-python, kcat), kafkajs and the benchmark's ideal client, each
// against a ceiling measured in the same run: a plain Node server (its own process too) that appends the same
// produce frames to a file and acks them (with group-committed fdatasync for acks=all) or streams a file.
//   npm run build && npx tsx tools/bench/src/main.ts broker        (about 2-3 minutes)
// Environment: BENCH_SECONDS (per measurement, default 3), BENCH_KEEP=1 keeps the temp data dir,
// BENCH_BROKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the broker's node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, BrokerConfig } from '@tributary/broker';
import { FrameClient, forSeconds, hello, pump } from './broker/frame-client';
import { kafkajsProduce } from './broker/kafkajs-producer';
import { openLoopLatency } from './broker/latency';
import { brokerBuildIsFresh, freePort, python, run, startBroker, startCeiling, type ServerProcess } from './broker/processes';
import { latencyTable, throughputTable, withCpu, type LatencyRow, type ThroughputRow } from './broker/report';
import { ceilingReadLoop, checkProduceResponse, fetchLoop, produceFrame, recordsPerRequest } from './broker/wire';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SIZES = [1024, 100];
const ACKS = [1, -1] as const;
const PIPELINE = 8; // produce requests in flight for the ideal client and the ceiling
const CONSUME_BYTES = 768 * 1024 * 1024; // record values in the consume topic (page cache, one segment)
const FETCH_BYTES = [1024 * 1024, 8 * 1024 * 1024]; // Kafka's default max.partition.fetch.bytes, and a larger one
const LATENCY_PARTITIONS = [1, 100, 1000];
const LATENCY_SIZE = 100;

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

const acksName = (acks: 1 | -1) => (acks === -1 ? 'all' : '1');
const topicName = (client: string, size: number, acks: 1 | -1) => `${client}-${size}-acks${acksName(acks)}`;

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

async function produceRuns(broker: ServerProcess, ceiling: ServerProcess, rows: ThroughputRow[]): Promise<void> {
  const port = broker.port;
  for (const size of SIZES) {
    for (const acks of ACKS) {
      const what = `produce ${size === 1024 ? '1 KiB' : `${size} B`} acks=${acksName(acks)}`;
      // librdkafka first: its average request size sizes the ideal client's and the ceiling's frames
      const rd = await withCpu(broker.child.pid!, () =>
        python<RdkafkaProduce>('produce_throughput.py', ['--bootstrap', `127.0.0.1:${port}`, '--topic', topicName('rdkafka', size, acks), '--size', String(size), '--acks', acksName(acks), '--seconds', String(SECONDS)]),
      );
      const r = rd.result;
      if (r.errors > 0 || r.unflushed > 0) throw new Error(`librdkafka produce failed: ${JSON.stringify(r)}`);
      const requestBytes = r.produceRequests && r.txBytes ? r.txBytes / r.produceRequests : 1_000_000;
      const perFrame = recordsPerRequest(size, requestBytes);
      const kb = `${(requestBytes / 1024).toFixed(0)} KiB`;

      const ideal = produceFrame(topicName('ideal', size, acks), 0, acks, size, perFrame);
      const ceil = await withCpu(ceiling.child.pid!, async () => {
        const client = await FrameClient.connect(ceiling.port, hello(acks === -1 ? 'S' : 'W'));
        try {
          return await pump(client, () => ideal.frame, PIPELINE, forSeconds(SECONDS));
        } finally {
          client.close();
        }
      });
      const ceilingBytes = (ceil.result.responses * ideal.payload) / ceil.result.seconds;
      const mine = await withCpu(broker.child.pid!, async () => {
        const client = await FrameClient.connect(port);
        try {
          return await pump(client, () => ideal.frame, PIPELINE, forSeconds(SECONDS), checkProduceResponse);
        } finally {
          client.close();
        }
      });
      const js = await withCpu(broker.child.pid!, () =>
        kafkajsProduce(port, topicName('kafkajs', size, acks), { size, acks, batch: perFrame, concurrency: 4, seconds: SECONDS }),
      );

      rows.push({ what, client: 'ceiling (plain server)', records: (ceil.result.responses * perFrame) / ceil.result.seconds, bytes: ceilingBytes, serverCpu: ceil.cores, note: `${perFrame} records/request, ${PIPELINE} in flight` });
      rows.push({ what, client: 'librdkafka (python)', records: r.records / r.seconds, bytes: r.bytes / r.seconds, ceiling: ceilingBytes, serverCpu: rd.cores, note: `linger.ms=5, avg request ${kb}` });
      rows.push({ what, client: 'ideal client', records: (mine.result.responses * perFrame) / mine.result.seconds, bytes: (mine.result.responses * ideal.payload) / mine.result.seconds, ceiling: ceilingBytes, serverCpu: mine.cores, note: `same frames as the ceiling` });
      rows.push({ what, client: 'kafkajs', records: js.result.records / js.result.seconds, bytes: js.result.bytes / js.result.seconds, ceiling: ceilingBytes, serverCpu: js.cores, note: `4 sends of ${perFrame} in flight` });
      console.error(`  ${what}: done`);
    }
  }
}

async function consumeRuns(broker: ServerProcess, ceiling: ServerProcess, dataDir: string, rows: ThroughputRow[]): Promise<void> {
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
  const sizeNote = `${(fileBytes / 2 ** 20).toFixed(0)} MiB log`;

  for (const chunk of FETCH_BYTES) {
    const c = await withCpu(ceiling.child.pid!, () => ceilingReadLoop(ceiling.port, segment, fileBytes, chunk, SECONDS));
    const ceilingBytes = (c.result.bytes * valueShare) / c.result.seconds;
    rows.push({ what, client: 'ceiling (plain server)', bytes: ceilingBytes, serverCpu: c.cores, note: `${chunk / 2 ** 20} MiB reads, 1 in flight` });
    const f = await withCpu(broker.child.pid!, () => fetchLoop(broker.port, 'consume', chunk, SECONDS));
    rows.push({ what, client: 'ideal client (fetch loop)', bytes: (f.result.bytes * valueShare) / f.result.seconds, ceiling: ceilingBytes, serverCpu: f.cores, note: `MaxBytes ${chunk / 2 ** 20} MiB` });
  }
  const bootstrap = `127.0.0.1:${broker.port}`;
  const kc = await withCpu(broker.child.pid!, async () => {
    const t0 = performance.now();
    await run('kcat', ['-b', bootstrap, '-C', '-t', 'consume', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', ''], 120_000);
    return (performance.now() - t0) / 1000;
  });
  rows.push({ what, client: 'kcat (librdkafka)', records: records / kc.result, bytes: (records * size) / kc.result, serverCpu: kc.cores, note: `one pass of ${sizeNote}, process start included` });
  for (const [label, settings] of [
    ['defaults', []],
    ['max.partition.fetch.bytes=8 MiB', ['--set', `max.partition.fetch.bytes=${8 * 2 ** 20}`]],
  ] as const) {
    const py = await withCpu(broker.child.pid!, () =>
      python<{ records: number; bytes: number; seconds: number; errors: string[] }>('consume_throughput.py', ['--bootstrap', bootstrap, '--topic', 'consume', '--records', String(records), '--seconds', String(2 * SECONDS), ...settings]),
    );
    if (py.result.errors.length > 0) throw new Error(`librdkafka consume failed: ${py.result.errors.join('; ')}`);
    rows.push({ what, client: 'librdkafka (python)', records: py.result.records / py.result.seconds, bytes: py.result.bytes / py.result.seconds, serverCpu: py.cores, note: `${label}, consume(10000) batches` });
  }
}

async function latencyRuns(broker: ServerProcess, rows: LatencyRow[], peaks: ThroughputRow[]): Promise<void> {
  for (const acks of ACKS) {
    const client = await FrameClient.connect(broker.port);
    try {
      const single = produceFrame('latency-1', 0, acks, LATENCY_SIZE, 1).frame;
      const peak = await withCpu(broker.child.pid!, () => pump(client, () => single, 64, forSeconds(SECONDS), checkProduceResponse));
      const peakRate = peak.result.responses / peak.result.seconds;
      peaks.push({ what: `single-record produce acks=${acksName(acks)}`, client: 'ideal client', records: peakRate, bytes: peakRate * LATENCY_SIZE, serverCpu: peak.cores, note: `peak, 64 in flight, ${LATENCY_SIZE} B records` });
      for (const n of LATENCY_PARTITIONS) {
        const frames = Array.from({ length: n }, (_, p) => produceFrame(`latency-${n}`, p, acks, LATENCY_SIZE, 1).frame);
        const l = await openLoopLatency(client, frames, peakRate / 2, SECONDS, checkProduceResponse);
        rows.push({ acks: acksName(acks), partitions: n, rate: l.rate, p50: l.p50, p99: l.p99, max: l.max, note: n > 1 ? 'round-robin, one partition per request' : '' });
      }
    } finally {
      client.close();
    }
    console.error(`  latency acks=${acksName(acks)}: done`);
  }
}

export async function main(): Promise<void> {
  if (!brokerBuildIsFresh()) console.error('warning: apps/broker, packages/broker or packages/protocol changed since the last build: run npm run build first\n');
  const cpus = os.cpus();
  console.log(`broker benchmark — Node ${process.version}, ${cpus.length} cores (${cpus[0]?.model ?? 'unknown cpu'}), ${new Date().toISOString().slice(0, 10)}, load ${os.loadavg()[0].toFixed(1)}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-broker-bench-'));
  const dataDir = path.join(tmp, 'broker');
  const servers: ServerProcess[] = [];
  const produce: ThroughputRow[] = [];
  const consume: ThroughputRow[] = [];
  const latency: LatencyRow[] = [];
  const peaks: ThroughputRow[] = [];
  try {
    await createTopics(dataDir);
    const nodeArgs = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean);
    const broker = await startBroker(await freePort(), dataDir, { nodeArgs });
    servers.push(broker);
    const ceiling = await startCeiling(await freePort(), path.join(tmp, 'ceiling'));
    servers.push(ceiling);
    console.log(`data in ${tmp}; ${SECONDS} s per measurement\n`);
    await produceRuns(broker, ceiling, produce);
    await consumeRuns(broker, ceiling, dataDir, consume);
    await latencyRuns(broker, latency, peaks);
  } finally {
    for (const s of servers.reverse()) await s.stop();
    if (process.env.BENCH_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log('Produce throughput (MB/s of record values)\n');
  console.log(throughputTable(produce));
  console.log('\nConsume throughput (MB/s of record values)\n');
  console.log(throughputTable(consume));
  console.log('\nProduce latency at half the peak single-record rate (open loop, write to response)\n');
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
