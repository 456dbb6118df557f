import { FlushScheduler, type PartitionLog } from '../../src/log';
import { batchOf } from './record-batch-builder';
import { TestSync, openLog, removeDir, tempDir } from './log-test-support';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('group commit and the fsync policy', () => {
  let dirs: string[];
  let logs: PartitionLog[];
  let sync: TestSync;
  let scheduler: FlushScheduler;
  beforeEach(() => {
    dirs = [];
    logs = [];
    sync = new TestSync();
    scheduler = new FlushScheduler({ sync: sync.fn });
  });
  afterEach(async () => {
    sync.release();
    sync.fail = undefined;
    for (const l of logs) await l.close();
    for (const d of dirs) removeDir(d);
  });

  async function newLog(config = {}): Promise<PartitionLog> {
    const dir = tempDir();
    dirs.push(dir);
    const log = await openLog(dir, { sync, scheduler, config });
    logs.push(log);
    await log.append(batchOf(1), { acks: 1 });
    await log.flush(); // the first flush also syncs the new segment's directory entry
    return log;
  }

  test('N concurrent acks=all appends share one fdatasync', async () => {
    const log = await newLog();
    const before = sync.dataSyncs;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(batchOf(1, `${i}`), { acks: -1 })));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i + 1)));
    expect(sync.dataSyncs - before).toBe(1);
  });

  test('appends arriving while an fdatasync is in flight share the next one', async () => {
    const log = await newLog();
    sync.delayMs = 20;
    const before = sync.dataSyncs;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      pending.push(log.append(batchOf(1), { acks: -1 }));
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(pending);
    const syncs = sync.dataSyncs - before;
    expect(syncs).toBeGreaterThanOrEqual(2);
    expect(syncs).toBeLessThan(15);
  });

  test('concurrent acks=all appends across partitions cost one fdatasync per partition', async () => {
    const parts = await Promise.all(Array.from({ length: 8 }, () => newLog()));
    const before = sync.dataSyncs;
    await Promise.all(parts.flatMap((log) => Array.from({ length: 25 }, () => log.append(batchOf(1), { acks: -1 }))));
    expect(sync.dataSyncs - before).toBe(8);
    expect(scheduler.busy).toBe(0);
  });

  test('with a commit window, acks=all appends spread over the window share one fdatasync', async () => {
    const windowed = new FlushScheduler({ sync: sync.fn, windowMs: 200 });
    const dir = tempDir();
    dirs.push(dir);
    const log = await openLog(dir, { sync, scheduler: windowed });
    logs.push(log);
    await log.append(batchOf(1), { acks: -1 });
    const before = sync.dataSyncs;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      pending.push(log.append(batchOf(1), { acks: -1 }));
      await new Promise((r) => setTimeout(r, 3));
    }
    await Promise.all(pending);
    expect(sync.dataSyncs - before).toBe(1);
  });

  test('an acks=all append resolves only after its fdatasync completes', async () => {
    const log = await newLog();
    sync.gated = true;
    let done = false;
    const p = log.append(batchOf(1), { acks: -1 }).then(() => (done = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(done).toBe(false);
    expect(log.logEndOffset).toBe(2n); // written and visible, just not acknowledged
    sync.release();
    await p;
    expect(done).toBe(true);
  });

  test('acks=1 and acks=0 resolve once the write returned, without waiting for an fdatasync', async () => {
    const log = await newLog();
    sync.gated = true;
    const r1 = await log.append(batchOf(1), { acks: 1 });
    const r0 = await log.append(batchOf(1), { acks: 0 });
    expect([r1.baseOffset, r0.baseOffset]).toEqual([1n, 2n]);
  });

  test('with log.flush.on.ack.all=false acks=all does not wait for an fdatasync (Kafka default)', async () => {
    const log = await newLog({ flushOnAckAll: false });
    sync.gated = true;
    const before = sync.dataSyncs;
    await log.append(batchOf(1), { acks: -1 });
    expect(sync.dataSyncs).toBe(before);
  });

  test('flush.messages triggers an fdatasync once enough records are unflushed', async () => {
    const log = await newLog({ flushOnAckAll: false, flushMessages: 10 });
    const before = sync.dataSyncs;
    for (let i = 0; i < 3; i++) await log.append(batchOf(3), { acks: 1 });
    await tick();
    expect(sync.dataSyncs).toBe(before);
    await log.append(batchOf(3), { acks: 1 });
    await tick();
    expect(sync.dataSyncs).toBe(before + 1);
  });

  test('flush.ms flushes unflushed data after the delay', async () => {
    const log = await newLog({ flushOnAckAll: false, flushMs: 30 });
    await new Promise((r) => setTimeout(r, 50));
    const before = sync.dataSyncs;
    await log.append(batchOf(1), { acks: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(sync.dataSyncs).toBe(before);
    await new Promise((r) => setTimeout(r, 60));
    expect(sync.dataSyncs).toBe(before + 1);
  });

  test('close fdatasyncs every segment holding unsynced data, including one rolled just before', async () => {
    const log = await newLog({ flushOnAckAll: false, segmentBytes: 300 });
    for (let i = 0; i < 6; i++) await log.append(batchOf(2, `${i}`, 50), { acks: 1 });
    expect(log.segments.length).toBeGreaterThan(2);
    const segments = log.segments;
    await log.close();
    logs = logs.filter((l) => l !== log);
    for (const s of segments) expect([s.syncedSize, s.isDirty]).toEqual([s.size, false]);
  });

  test('a failed fdatasync fails the waiting appends with KAFKA_STORAGE_ERROR and takes the log offline', async () => {
    const log = await newLog();
    sync.fail = new Error('EIO: i/o error');
    await expect(log.append(batchOf(1), { acks: -1 })).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR', code: 56 });
    await expect(log.append(batchOf(1), { acks: 1 })).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
    await expect(log.read(0n, 100)).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
  });
});
