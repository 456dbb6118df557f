// The cleaner runs beside produce and fetch: while it cleans a large partition, appends to another partition go on
// (their latency is measured open-loop, against a fixed schedule, so event-loop stalls count) and reads of the
// partition being cleaned keep returning consistent data across the segment swaps.
import { encodeRecordBatch } from '@tributary/protocol';
import type { PartitionLog } from '../../src/log';
import { COMPACT, latestValues, openManager, readAll, type Env } from './compaction-support';
import { removeDir, tempDir } from './log-test-support';

jest.setTimeout(120_000);

let dir: string;
let env: Env;
beforeAll(async () => {
  dir = tempDir('tributary-compact-conc-');
  env = await openManager(dir);
});
afterAll(async () => {
  await env.mgr.close();
  removeDir(dir);
});

const KEYS = 5_000;
const VALUE = 'x'.repeat(1000);

function batch(from: number, n: number, round: number): Buffer {
  const now = BigInt(Date.now());
  return encodeRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`key-${(from + i) % KEYS}`),
      value: Buffer.from(`${round}:${VALUE}`),
      timestamp: now,
    })),
  });
}

/** Appends one 1 KiB record every `everyMs` until `until` resolves; latency = completion - scheduled start. */
async function produceOpenLoop(log: PartitionLog, everyMs: number, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.then(() => (done = true));
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; !done; i++) {
    const target = start + i * everyMs;
    const wait = target - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await log.append(batch(i, 1, -1), { acks: 1 });
    latencies.push(performance.now() - target);
  }
  return latencies;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

it('produce to another partition and fetches of the partition being cleaned keep working during a pass', async () => {
  const { mgr } = env;
  await mgr.createTopic('big', { partitions: 1, configs: { ...COMPACT, 'segment.bytes': String(8 << 20) } });
  await mgr.createTopic('live', { partitions: 1, configs: { 'segment.bytes': String(64 << 20) } });
  const big = mgr.log('big', 0)!;
  const live = mgr.log('live', 0)!;
  for (let round = 0; round < 6; round++) {
    for (let k = 0; k < KEYS; k += 500) await big.append(batch(k, 500, round), { acks: 1 });
  }
  big.roll();
  const sizeMb = big.size / 1e6;
  const expected = latestValues((await readAll(big, 1 << 20)).records);

  // without cleaning
  const baseline = await produceOpenLoop(live, 2, new Promise((r) => setTimeout(r, 1500)));

  // with cleaning, plus a reader walking the partition being cleaned
  const t0 = performance.now();
  const cleaning = mgr.cleaner.cleanNow('big');
  let reads = 0;
  const reader = (async () => {
    let finished = false;
    void cleaning.then(() => (finished = true));
    while (!finished) {
      const seen = latestValues((await readAll(big, 256 * 1024)).records);
      expect(seen).toEqual(expected);
      reads++;
    }
  })();
  const during = await produceOpenLoop(live, 2, cleaning);
  const [pass] = await cleaning;
  await reader;
  const cleanMs = performance.now() - t0;

  expect(pass.recordsKept).toBe(KEYS);
  expect(latestValues((await readAll(big, 1 << 20)).records)).toEqual(expected);
  expect(reads).toBeGreaterThan(0);
  expect(during.length).toBeGreaterThan(10);
  const report = {
    partitionMB: +sizeMb.toFixed(1),
    cleanMs: Math.round(cleanMs),
    cleanMBps: +(sizeMb / (cleanMs / 1000)).toFixed(1),
    produceWithout: { n: baseline.length, p50: +pct(baseline, 50).toFixed(2), p99: +pct(baseline, 99).toFixed(2) },
    produceDuring: { n: during.length, p50: +pct(during, 50).toFixed(2), p99: +pct(during, 99).toFixed(2) },
    fullReadsDuring: reads,
  };
  console.log(`compaction during produce: ${JSON.stringify(report)}`);
  // generous bound for a shared 2-core machine; the figures themselves are recorded in docs/benchmarks.md
  expect(pct(during, 99)).toBeLessThan(250);
});
