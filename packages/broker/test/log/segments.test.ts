import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PartitionLog } from '../../src/log';
import { batchOf, buildBatch, decodeBatches } from './record-batch-builder';
import { ManualClock, openLog, removeDir, tempDir } from './log-test-support';

const T0 = 1_700_000_000_000n;

describe('segments: roll and index lookups', () => {
  let dir: string;
  let log: PartitionLog;
  afterEach(async () => {
    await log.close();
    removeDir(dir);
  });

  test('the active segment rolls at segment.bytes and every offset is found across segments', async () => {
    dir = tempDir();
    log = await openLog(dir, { config: { segmentBytes: 1000, indexIntervalBytes: 150 } });
    const sizes = [1, 3, 2, 5, 1, 4, 2, 2, 3, 1, 6, 2, 1, 1, 3];
    for (let i = 0; i < 6; i++) for (const n of sizes) await log.append(batchOf(n, `${i}:`, 20));
    expect(log.segments.length).toBeGreaterThan(3);
    for (const seg of log.segments) expect(seg.size).toBeLessThanOrEqual(1000);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(files).toEqual(log.segments.map((s) => `${s.baseOffset.toString().padStart(20, '0')}.log`));
    expect(log.segments.some((s) => s.offsetIndex.entries > 0)).toBe(true);
    for (let o = 0n; o < log.logEndOffset; o++) {
      const [first] = decodeBatches((await log.read(o, 1)).records);
      expect(first.baseOffset <= o && o <= first.lastOffset).toBe(true);
    }
  });

  test('a read from the end of one segment continues with the next segment', async () => {
    dir = tempDir();
    log = await openLog(dir, { config: { segmentBytes: 300 } });
    for (let i = 0; i < 6; i++) await log.append(batchOf(2, `${i}-`, 60));
    const second = log.segments[1];
    const read = await log.read(second.baseOffset, 1 << 20);
    expect(decodeBatches(read.records)[0].baseOffset).toBe(second.baseOffset);
  });

  test('the active segment rolls after segment.ms, measured from its first batch timestamp', async () => {
    dir = tempDir();
    const clock = new ManualClock(Number(T0));
    log = await openLog(dir, { config: { segmentMs: 60_000 }, clock: clock.fn });
    await log.append(batchOf(1, 'a', 0, T0));
    await log.append(batchOf(1, 'b', 0, T0 + 30_000n));
    expect(log.segments.length).toBe(1);
    await log.append(batchOf(1, 'c', 0, T0 + 61_000n));
    expect(log.segments.map((s) => s.baseOffset)).toEqual([0n, 2n]);
  });
});

describe('timestamp lookups', () => {
  let dir: string;
  let log: PartitionLog;
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir, { config: { segmentBytes: 300, indexIntervalBytes: 100 } });
    // batch i holds 3 records with timestamps T0 + 100*i + {0, 10, 20}
    for (let i = 0; i < 12; i++) {
      await log.append(buildBatch([0, 1, 2].map((j) => ({ value: `${i}.${j}`, timestamp: T0 + BigInt(100 * i + 10 * j) }))));
    }
  });
  afterEach(async () => {
    await log.close();
    removeDir(dir);
  });

  test('offsetForTimestamp finds the earliest record with timestamp >= target, inside a batch and across segments', () => {
    expect(log.segments.length).toBeGreaterThan(2);
    expect(log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: T0 });
    expect(log.offsetForTimestamp(T0 + 510n)).toEqual({ offset: 16n, timestamp: T0 + 510n });
    expect(log.offsetForTimestamp(T0 + 511n)).toEqual({ offset: 17n, timestamp: T0 + 520n });
    expect(log.offsetForTimestamp(T0 + 521n)).toEqual({ offset: 18n, timestamp: T0 + 600n });
    expect(log.offsetForTimestamp(T0 + 1120n)).toEqual({ offset: 35n, timestamp: T0 + 1120n });
    expect(log.offsetForTimestamp(T0 + 1121n)).toBeUndefined();
  });

  test('offsetForTimestamp skips records below the log start offset', async () => {
    await log.deleteRecordsBefore(4n);
    expect(log.offsetForTimestamp(0n)).toEqual({ offset: 4n, timestamp: T0 + 110n });
  });

  test('offsetOfMaxTimestamp returns the record with the largest timestamp, even out of order (KIP-734)', async () => {
    await log.append(buildBatch([{ value: 'late', timestamp: T0 + 5000n }, { value: 'x', timestamp: T0 + 5000n }, { value: 'y', timestamp: T0 + 1n }]));
    await log.append(buildBatch([{ value: 'early', timestamp: T0 + 2n }]));
    expect(log.offsetOfMaxTimestamp()).toEqual({ offset: 36n, timestamp: T0 + 5000n });
  });

  test('timestamp lookups resolve records inside a gzip batch', async () => {
    await log.append(buildBatch([{ value: 'g0', timestamp: T0 + 9000n }, { value: 'g1', timestamp: T0 + 9100n }, { value: 'g2', timestamp: T0 + 9050n }], { gzip: true }));
    expect(log.offsetForTimestamp(T0 + 9001n)).toEqual({ offset: 37n, timestamp: T0 + 9100n });
    expect(log.offsetOfMaxTimestamp()).toEqual({ offset: 37n, timestamp: T0 + 9100n });
  });
});

describe('retention and deleteRecords', () => {
  let dir: string;
  let log: PartitionLog;
  const clock = new ManualClock(Number(T0) + 10_000);
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir, { config: { segmentBytes: 400 }, clock: clock.fn });
    for (let i = 0; i < 10; i++) await log.append(batchOf(2, `${i}-`, 50, T0 + BigInt(i * 1000)));
  });
  afterEach(async () => {
    await log.close();
    removeDir(dir);
  });

  const logFiles = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.log'));

  test('retention.bytes deletes the oldest whole segments, never the active one', async () => {
    const before = log.segments.length;
    expect(before).toBeGreaterThan(3);
    log.updateConfig({ ...log.config, retentionBytes: log.active.size + log.segments[before - 2].size });
    const deleted = await log.applyRetention();
    expect(deleted).toBe(before - 2);
    expect(log.segments.length).toBe(2);
    expect(log.logStartOffset).toBe(log.segments[0].baseOffset);
    await new Promise((r) => setTimeout(r, 20));
    expect(logFiles().length).toBe(2);
    log.updateConfig({ ...log.config, retentionBytes: 0 });
    await log.applyRetention();
    expect(log.segments.length).toBe(1);
  });

  test('retention.ms deletes segments whose newest timestamp is older than the limit', async () => {
    const cutoff = log.segments[2].maxTimestamp;
    log.updateConfig({ ...log.config, retentionMs: clock.now - Number(cutoff) });
    await log.applyRetention();
    expect(log.segments[0].maxTimestamp).toBe(cutoff);
    log.updateConfig({ ...log.config, retentionMs: 1 });
    await log.applyRetention();
    expect(log.segments.length).toBe(1);
    await expect(log.read(0n, 100)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' });
  });

  test('cleanup.policy=compact disables time and size retention', async () => {
    log.updateConfig({ ...log.config, retentionMs: 1, retentionBytes: 0, deleteEnabled: false, compactEnabled: true });
    expect(await log.applyRetention()).toBe(0);
  });

  test('deleteRecordsBefore moves the log start, deletes whole segments below it, and bounds reads', async () => {
    const third = log.segments[2];
    const target = third.baseOffset + 1n;
    expect(await log.deleteRecordsBefore(target)).toBe(target);
    expect(log.logStartOffset).toBe(target);
    expect(log.segments[0]).toBe(third);
    await expect(log.read(target - 1n, 100)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' });
    const read = await log.read(target, 1 << 20);
    expect(decodeBatches(read.records)[0].baseOffset).toBe(third.baseOffset); // whole batch; client filters
    expect(fs.readFileSync(path.join(dir, 'log-start-offset-checkpoint'), 'utf8')).toBe(`0\n${target}\n`);
    expect(await log.deleteRecordsBefore(1n)).toBe(target);
    await expect(log.deleteRecordsBefore(log.highWatermark + 1n)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' });
  });

  test('truncateTo removes the batch containing the offset and everything after it', async () => {
    const seg = log.segments[1];
    const end = await log.truncateTo(seg.baseOffset + 3n);
    expect(end).toBe(seg.baseOffset + 2n);
    expect(log.logEndOffset).toBe(end);
    expect(log.segments[log.segments.length - 1]).toBe(seg);
    const r = await log.append(batchOf(1));
    expect(r.baseOffset).toBe(end);
    expect(decodeBatches((await log.read(end, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([end]);
    expect(decodeBatches((await log.read(seg.baseOffset, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([seg.baseOffset, end]);
  });
});
