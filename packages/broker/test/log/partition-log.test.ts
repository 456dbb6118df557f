import * as fs from 'node:fs';
import * as path from 'node:path';
import { BATCH_OFFSETS, validateRecordBatch } from '@tributary/protocol';
import { LogError, type PartitionLog } from '../../src/log';
import { batchOf, buildBatch, decodeBatches, valuesOf } from './record-batch-builder';
import { ManualClock, openLog, removeDir, tempDir } from './log-test-support';

describe('PartitionLog append and read', () => {
  let dir: string;
  let log: PartitionLog;
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir);
  });
  afterEach(async () => {
    await log.close();
    removeDir(dir);
  });

  test('an appended batch reads back byte for byte with its offsets stamped', async () => {
    const batch = buildBatch(['a', 'b', 'c']);
    const r = await log.append(Buffer.from(batch));
    expect(r).toMatchObject({ baseOffset: 0n, lastOffset: 2n, logAppendTime: -1n, logStartOffset: 0n, recordCount: 3 });
    const read = await log.read(0n, 1 << 20);
    expect(read.highWatermark).toBe(3n);
    expect(read.records.equals(Buffer.concat([Buffer.alloc(8), batch.subarray(8, 12), Buffer.from([0, 0, 0, 0]), batch.subarray(16)]))).toBe(true);
    expect(valuesOf(read.records)).toEqual(['a', 'b', 'c']);
    expect(log.logEndOffset).toBe(3n);
  });

  test('offsets are assigned across the batches of one append and across appends', async () => {
    const r1 = await log.append(Buffer.concat([batchOf(2, 'x'), batchOf(3, 'y'), batchOf(1, 'z')]));
    expect([r1.baseOffset, r1.lastOffset]).toEqual([0n, 5n]);
    const r2 = await log.append(batchOf(4, 'w'));
    expect([r2.baseOffset, r2.lastOffset]).toEqual([6n, 9n]);
    const batches = decodeBatches((await log.read(0n, 1 << 20)).records);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0n, 1n], [2n, 4n], [5n, 5n], [6n, 9n]]);
    expect(batches.every((b) => b.crcValid)).toBe(true);
    expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
  });

  test('the partition leader epoch is stamped into every batch', async () => {
    log.leaderEpoch = 7;
    await log.append(Buffer.concat([batchOf(1), batchOf(1)]));
    await log.append(batchOf(1), { leaderEpoch: 9 });
    expect(decodeBatches((await log.read(0n, 1 << 20)).records).map((b) => b.partitionLeaderEpoch)).toEqual([7, 7, 9]);
  });

  test('a read starting mid-batch returns the whole batch that contains the offset', async () => {
    await log.append(batchOf(5, 'a'));
    await log.append(batchOf(5, 'b'));
    const read = await log.read(7n, 1 << 20);
    expect(decodeBatches(read.records).map((b) => b.baseOffset)).toEqual([5n]);
    expect(valuesOf(read.records)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  test('fetch returns at least one batch even when it exceeds maxBytes (KIP-74)', async () => {
    await log.append(batchOf(10, 'big', 100));
    await log.append(batchOf(1));
    const read = await log.read(0n, 10);
    expect(decodeBatches(read.records).map((b) => b.baseOffset)).toEqual([0n]);
    expect((await log.read(0n, 10, { minOneBatch: false })).records.length).toBe(0);
  });

  test('maxBytes cuts at whole batches, never inside one', async () => {
    for (let i = 0; i < 5; i++) await log.append(batchOf(1, `${i}-`, 50));
    const one = (await log.read(0n, 1 << 20)).records.length / 5;
    const read = await log.read(0n, Math.floor(one * 2.5));
    expect(decodeBatches(read.records).map((b) => b.baseOffset)).toEqual([0n, 1n]);
    expect(read.records.length).toBe(one * 2);
  });

  test('reads never pass maxOffset (high watermark or last stable offset)', async () => {
    for (let i = 0; i < 4; i++) await log.append(batchOf(2));
    const read = await log.read(0n, 1 << 20, { maxOffset: 4n });
    expect(decodeBatches(read.records).map((b) => b.lastOffset)).toEqual([1n, 3n]);
    expect((await log.read(4n, 1 << 20, { maxOffset: 4n })).records.length).toBe(0);
  });

  test('fetch offsets outside [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE; the log end reads empty', async () => {
    await log.append(batchOf(3));
    await expect(log.read(4n, 100)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE', code: 1 });
    await expect(log.read(-1n, 100)).rejects.toBeInstanceOf(LogError);
    const atEnd = await log.read(3n, 100);
    expect(atEnd.records.length).toBe(0);
    expect(atEnd.highWatermark).toBe(3n);
  });

  test('append listeners are told the new log end offset and can unsubscribe', async () => {
    const seen: bigint[] = [];
    const off = log.onAppend((end) => seen.push(end));
    await log.append(batchOf(2));
    await log.append(batchOf(3));
    off();
    await log.append(batchOf(1));
    expect(seen).toEqual([2n, 5n]);
  });
});

describe('PartitionLog validation: a bad batch never reaches the file', () => {
  let dir: string;
  let log: PartitionLog;
  const logFile = (): string => path.join(dir, '00000000000000000000.log');
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir, { config: { maxMessageBytes: 2000 } });
    await log.append(batchOf(1));
  });
  afterEach(async () => {
    await log.close();
    removeDir(dir);
  });

  const rejects = async (records: Buffer, name: string, opts = {}): Promise<void> => {
    const size = fs.statSync(logFile()).size;
    await expect(log.append(records, opts)).rejects.toMatchObject({ errorName: name });
    expect(fs.statSync(logFile()).size).toBe(size);
    expect(log.logEndOffset).toBe(1n);
  };

  test('a CRC mismatch anywhere in the request rejects all of it with CORRUPT_MESSAGE', async () => {
    const bad = batchOf(2);
    bad[bad.length - 1] ^= 0xff;
    await rejects(Buffer.concat([batchOf(1), bad]), 'CORRUPT_MESSAGE');
  });
  test('trailing bytes or a truncated batch are CORRUPT_MESSAGE', async () => {
    await rejects(Buffer.concat([batchOf(1), Buffer.from([1, 2, 3])]), 'CORRUPT_MESSAGE');
    await rejects(batchOf(3).subarray(0, 70), 'CORRUPT_MESSAGE');
  });
  test('a magic other than 2 is CORRUPT_MESSAGE', async () => {
    const b = batchOf(1);
    b[BATCH_OFFSETS.magic] = 1;
    await rejects(b, 'CORRUPT_MESSAGE');
  });
  test('a batch larger than max.message.bytes is MESSAGE_TOO_LARGE', async () => {
    await rejects(batchOf(1, 'x', 3000), 'MESSAGE_TOO_LARGE');
  });
  test('client control batches and inconsistent counts are INVALID_RECORD; coordinators may write control batches', async () => {
    await rejects(buildBatch(['m'], { attributes: 0x20 }), 'INVALID_RECORD');
    await rejects(Buffer.alloc(0), 'INVALID_RECORD');
    const r = await log.append(buildBatch(['m'], { attributes: 0x20 }), { origin: 'coordinator' });
    expect(r.baseOffset).toBe(1n);
  });
  test('CreateTime timestamps beyond message.timestamp.after.max.ms are INVALID_TIMESTAMP', async () => {
    await rejects(batchOf(1, 'f', 0, BigInt(Date.now() + 2 * 3600_000)), 'INVALID_TIMESTAMP');
  });
});

describe('PartitionLog LogAppendTime', () => {
  test('LogAppendTime rewrites maxTimestamp and the timestamp-type bit and leaves a valid CRC', async () => {
    const dir = tempDir();
    const clock = new ManualClock(1_800_000_000_000);
    const log = await openLog(dir, { config: { timestampType: 'LogAppendTime' }, clock: clock.fn });
    const r = await log.append(Buffer.concat([batchOf(2), batchOf(3)]));
    expect(r.logAppendTime).toBe(1_800_000_000_000n);
    const read = (await log.read(0n, 1 << 20)).records;
    for (const b of decodeBatches(read)) {
      expect(b.attributes & 0x08).toBe(0x08);
      expect(b.maxTimestamp).toBe(1_800_000_000_000n);
      expect(b.crcValid).toBe(true);
    }
    expect(validateRecordBatch(read, 0)).toBeGreaterThan(0);
    expect(log.offsetForTimestamp(1_800_000_000_000n)).toEqual({ offset: 0n, timestamp: 1_800_000_000_000n });
    await log.close();
    removeDir(dir);
  });

  test('a client batch flagged LogAppendTime on a CreateTime topic is normalised, CRC recomputed', async () => {
    const dir = tempDir();
    const log = await openLog(dir);
    await log.append(buildBatch(['a'], { attributes: 0x08 }));
    const [b] = decodeBatches((await log.read(0n, 1 << 20)).records);
    expect(b.attributes & 0x08).toBe(0);
    expect(b.crcValid).toBe(true);
    await log.close();
    removeDir(dir);
  });
});
