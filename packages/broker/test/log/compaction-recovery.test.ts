// Compaction across restarts and crashes: the checkpoint and the cleaned segments survive a restart, and a swap
// interrupted at any step (simulated by leaving the files the cleaner writes in each state) is rolled back before
// its commit point (`<base>.log.swap`) and completed after it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PartitionLog } from '../../src/log';
import { COMPACT, latestValues, openManager, readAll, type Env, type KV, type ReadRecord } from './compaction-support';
import { removeDir, tempDir } from './log-test-support';
import { keyed } from './compaction-support';

const dirs: string[] = [];
const envs: Env[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.mgr.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function newDir(): string {
  const d = tempDir('tributary-compact-rec-');
  dirs.push(d);
  return d;
}
async function open(dataDir: string, config: Record<string, string> = {}): Promise<Env> {
  const e = await openManager(dataDir, config);
  envs.push(e);
  return e;
}
async function close(e: Env): Promise<void> {
  envs.splice(envs.indexOf(e), 1);
  await e.mgr.close();
}

async function update(log: PartitionLog, keys: number, rounds: number, tag: string): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const recs: KV[] = Array.from({ length: keys }, (_, k) => [`key-${k}`, `${tag}-r${r}-k${k}`]);
    await log.append(keyed(recs), { acks: 1 });
  }
}

it('keeps the latest value per key across a restart, and the next pass starts at the stored checkpoint', async () => {
  const dataDir = newDir();
  let e = await open(dataDir);
  await e.mgr.createTopic('t', { partitions: 1, configs: COMPACT });
  await update(e.mgr.log('t', 0)!, 20, 30, 'a');
  e.mgr.log('t', 0)!.roll();
  const [first] = await e.mgr.cleaner.cleanNow();
  const cleaned = await readAll(e.mgr.log('t', 0)!);
  await close(e);

  e = await open(dataDir);
  const log = e.mgr.log('t', 0)!;
  expect(e.logger.warnings).toEqual([]);
  expect(e.mgr.cleaner.firstDirtyOffset(log)).toBe(first.endOffset);
  expect((await readAll(log)).records).toEqual(cleaned.records);
  await update(log, 10, 5, 'b'); // half the keys change after the restart
  log.roll();
  const [second] = await e.mgr.cleaner.cleanNow();
  expect(second.firstDirtyOffset).toBe(first.endOffset);
  const all = (await readAll(log)).records;
  const expected = new Map<string, string>();
  for (let k = 0; k < 20; k++) expected.set(`key-${k}`, k < 10 ? `b-r4-k${k}` : `a-r29-k${k}`);
  expect(latestValues(all)).toEqual(expected);
  expect(all.length).toBe(20);
});

describe('a crash in the middle of a swap', () => {
  let original: string; // data dir before cleaning
  let cleanedDir: string; // data dir after a pass that merged every non-active segment into one
  let before: ReadRecord[];
  let after: ReadRecord[];
  let base: string; // the merged segment's file stem
  let replaced: string[]; // stems of the segments it replaced

  beforeAll(async () => {
    original = tempDir('tributary-compact-orig-');
    const e = await openManager(original);
    await e.mgr.createTopic('t', { partitions: 1, configs: COMPACT });
    const log = e.mgr.log('t', 0)!;
    await update(log, 8, 60, 'v');
    log.roll();
    before = (await readAll(log)).records;
    replaced = log.segments.slice(0, -1).map((s) => path.basename(s.filePath('.log'), '.log'));
    expect(replaced.length).toBeGreaterThan(4);
    await e.mgr.close();

    cleanedDir = tempDir('tributary-compact-cleaned-');
    fs.cpSync(original, cleanedDir, { recursive: true });
    const c = await openManager(cleanedDir);
    // a larger segment.bytes lets the pass merge every old segment into one group
    await c.mgr.alterTopicConfig('t', [{ name: 'segment.bytes', op: 'set', value: String(1 << 20) }]);
    const [pass] = await c.mgr.cleaner.cleanNow('t');
    expect(pass.groupsRewritten).toBe(1);
    after = (await readAll(c.mgr.log('t', 0)!)).records;
    base = path.basename(c.mgr.log('t', 0)!.segments[0].filePath('.log'), '.log');
    expect(c.mgr.log('t', 0)!.segments.length).toBe(2);
    await c.mgr.close();
    expect(after.length).toBe(8);
    expect(latestValues(after)).toEqual(latestValues(before));
  });
  afterAll(() => {
    removeDir(original);
    removeDir(cleanedDir);
  });

  /** A copy of the original data dir with the merged segment's files placed under the given names. */
  function crashState(place: Record<'log' | 'index' | 'timeindex', string | null>, retire: number): string {
    const d = newDir();
    fs.cpSync(original, d, { recursive: true });
    const part = path.join(d, 't-0');
    for (const stem of replaced.slice(0, retire)) {
      for (const ext of ['log', 'index', 'timeindex']) fs.renameSync(path.join(part, `${stem}.${ext}`), path.join(part, `${stem}.${ext}.deleted`));
    }
    for (const ext of ['log', 'index', 'timeindex'] as const) {
      const name = place[ext];
      if (name !== null) fs.copyFileSync(path.join(cleanedDir, 't-0', `${base}.${ext}`), path.join(part, name.replace('BASE', base)));
    }
    return d;
  }

  async function recover(d: string): Promise<{ records: ReadRecord[]; files: string[]; warnings: string[] }> {
    const e = await open(d);
    const records = (await readAll(e.mgr.log('t', 0)!)).records;
    return { records, files: fs.readdirSync(path.join(d, 't-0')), warnings: e.logger.warnings };
  }

  it('before the commit point (only .cleaned files): rolled back, the old segments serve as before', async () => {
    const r = await recover(crashState({ log: 'BASE.log.cleaned', index: 'BASE.index.cleaned', timeindex: 'BASE.timeindex.cleaned' }, 0));
    expect(r.records).toEqual(before);
    expect(r.files.filter((f) => f.endsWith('.cleaned'))).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/unfinished cleaning/);
  });

  it('indexes renamed to .swap but not the log yet: still rolled back', async () => {
    const r = await recover(crashState({ log: 'BASE.log.cleaned', index: 'BASE.index.swap', timeindex: 'BASE.timeindex.swap' }, 0));
    expect(r.records).toEqual(before);
    expect(r.files.filter((f) => f.endsWith('.swap') || f.endsWith('.cleaned'))).toEqual([]);
  });

  it('after the commit point, no old segment retired yet: completed', async () => {
    const r = await recover(crashState({ log: 'BASE.log.swap', index: 'BASE.index.swap', timeindex: 'BASE.timeindex.swap' }, 0));
    expect(r.records).toEqual(after);
    expect(r.files.filter((f) => f.endsWith('.swap'))).toEqual([]);
    expect(r.files.filter((f) => f.endsWith('.log')).length).toBe(2);
    expect(r.warnings.join('\n')).toMatch(/completed an interrupted cleaner swap/);
  });

  it('after the commit point, some old segments retired: completed', async () => {
    const r = await recover(crashState({ log: 'BASE.log.swap', index: 'BASE.index.swap', timeindex: 'BASE.timeindex.swap' }, 3));
    expect(r.records).toEqual(after);
    expect(r.files.filter((f) => f.endsWith('.deleted') || f.endsWith('.swap'))).toEqual([]);
  });

  it('after the commit point, every old segment retired and the indexes already renamed: completed', async () => {
    const r = await recover(crashState({ log: 'BASE.log.swap', index: 'BASE.index', timeindex: 'BASE.timeindex' }, replaced.length));
    expect(r.records).toEqual(after);
    expect(r.files.filter((f) => f.endsWith('.log')).length).toBe(2);
  });

  it('a restart after the swap is complete changes nothing', async () => {
    const d = newDir();
    fs.cpSync(cleanedDir, d, { recursive: true });
    const r = await recover(d);
    expect(r.records).toEqual(after);
    expect(r.warnings).toEqual([]);
  });
});

it('a pass stopped by shutdown leaves no files behind and the log intact', async () => {
  const dataDir = newDir();
  const e = await open(dataDir, { 'log.cleaner.dedupe.buffer.size': String(1 << 20) });
  await e.mgr.createTopic('t', { partitions: 1, configs: { ...COMPACT, 'segment.bytes': String(1 << 20) } });
  const log = e.mgr.log('t', 0)!;
  for (let i = 0; i < 40; i++) await update(log, 200, 1, `s${i}`);
  log.roll();
  await e.mgr.alterTopicConfig('t', [{ name: 'segment.bytes', op: 'set', value: String(64 << 20) }]);
  const before = (await readAll(log, 1 << 20)).records;
  const running = e.mgr.cleaner.cleanNow('t');
  await new Promise((r) => setImmediate(r));
  await close(e); // stops the cleaner mid-pass
  expect(await running).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 't-0')).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
  const again = await open(dataDir);
  expect((await readAll(again.mgr.log('t', 0)!, 1 << 20)).records).toEqual(before);
});

describe('races with the rest of the log', () => {
  async function bigPartition(e: Env, name: string, configs: Record<string, string> = {}): Promise<PartitionLog> {
    await e.mgr.createTopic(name, { partitions: 1, configs: { ...COMPACT, 'segment.bytes': String(256 << 10), ...configs } });
    const log = e.mgr.log(name, 0)!;
    for (let i = 0; i < 40; i++) await update(log, 200, 1, `s${i}`.padEnd(200, '.'));
    log.roll();
    return log;
  }
  const cleanedFileAppears = async (dir: string): Promise<void> => {
    while (!fs.readdirSync(dir).some((f) => f.endsWith('.cleaned'))) await new Promise((r) => setTimeout(r, 1));
  };

  it('retention removing segments during a pass: the swap is abandoned, nothing is lost, the next pass cleans', async () => {
    const dataDir = newDir();
    const e = await open(dataDir);
    const log = await bigPartition(e, 't', { 'cleanup.policy': 'compact,delete' });
    const before = log.segments.length;
    expect(before).toBeGreaterThan(4);
    // retention.bytes that the two oldest segments breach (retention only runs when called here)
    await e.mgr.alterTopicConfig('t', [{ name: 'retention.bytes', op: 'set', value: String(log.size - log.segments[0].size - log.segments[1].size) }]);
    await new Promise((r) => setTimeout(r, 50)); // the roll's flush
    // hold the pass at its first fdatasync (its first cleaned segment is written, not yet swapped in) ...
    e.sync.gated = true;
    const syncs = e.sync.dataSyncs;
    const running = e.mgr.cleaner.cleanNow('t');
    while (e.sync.dataSyncs === syncs) await new Promise((r) => setTimeout(r, 1));
    // ... while retention removes the oldest segments (synchronously, as the retention timer would)
    const removal = log.applyRetention(e.clock.now);
    expect(log.segments.length).toBe(before - 2);
    e.sync.release();
    expect(await removal).toBe(2);
    const [pass] = await running;
    expect(pass.swapsAbandoned).toBe(1);
    expect(pass.endOffset).toBe(pass.firstDirtyOffset);
    expect(fs.readdirSync(log.dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    await e.mgr.alterTopicConfig('t', [{ name: 'retention.bytes', op: 'delete' }]);
    const [again] = await e.mgr.cleaner.cleanNow('t');
    expect(again.swapsAbandoned).toBe(0);
    const records = (await readAll(log, 1 << 20)).records;
    expect(records.length).toBe(200);
    expect(records.every((r) => r.value!.startsWith('s39'))).toBe(true);
  });

  it('a topic deleted while its partition is being cleaned: the pass gives up quietly', async () => {
    const dataDir = newDir();
    const e = await open(dataDir);
    const log = await bigPartition(e, 'doomed');
    const running = e.mgr.cleaner.cleanNow('doomed');
    await cleanedFileAppears(log.dir);
    await e.mgr.deleteTopic('doomed');
    const passes = await running; // [] or a pass whose swap was abandoned, depending on where the deletion hit it
    expect(passes.every((p) => p.swapsAbandoned + p.groupsRewritten > 0 || p.endOffset === p.firstDirtyOffset)).toBe(true);
    expect(e.logger.warnings).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'doomed-0'))).toBe(false);
  });
});
