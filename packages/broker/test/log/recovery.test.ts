import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PartitionLog } from '../../src/log';
import { batchOf, buildBatch, decodeBatches } from './record-batch-builder';
import { CapturingLogger, openLog, removeDir, tempDir } from './log-test-support';

const T0 = 1_700_000_000_000n;
const CONFIG = { segmentBytes: 800, indexIntervalBytes: 120 };

/** Appends 40 batches of 2 records (about 5 segments), closes, returns the expected offsets. */
async function populate(dir: string): Promise<{ end: bigint; segments: bigint[] }> {
  const log = await openLog(dir, { config: CONFIG });
  for (let i = 0; i < 40; i++) {
    await log.append(buildBatch([{ value: `${i}a`, timestamp: T0 + BigInt(i * 10) }, { value: `${i}b`, timestamp: T0 + BigInt(i * 10 + 5) }]));
  }
  const result = { end: log.logEndOffset, segments: log.segments.map((s) => s.baseOffset) };
  await log.close();
  return result;
}

const file = (dir: string, base: bigint, suffix: string): string => path.join(dir, `${base.toString().padStart(20, '0')}${suffix}`);

async function expectEveryOffsetReadable(log: PartitionLog, end: bigint): Promise<void> {
  for (let o = log.logStartOffset; o < end; o++) {
    const [b] = decodeBatches((await log.read(o, 1)).records);
    expect(b.baseOffset <= o && o <= b.lastOffset && b.crcValid).toBe(true);
  }
}

describe('recovery on open', () => {
  let dir: string;
  let log: PartitionLog | undefined;
  let logger: CapturingLogger;
  beforeEach(() => {
    dir = tempDir();
    logger = new CapturingLogger();
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    removeDir(dir);
  });

  test('a clean restart restores segments, offsets, timestamps and indexes without warnings', async () => {
    const { end, segments } = await populate(dir);
    expect(segments.length).toBeGreaterThan(3);
    const indexBefore = fs.readFileSync(file(dir, segments[1], '.index'));
    log = await openLog(dir, { config: CONFIG, logger });
    expect(logger.warnings).toEqual([]);
    expect(log.segments.map((s) => s.baseOffset)).toEqual(segments);
    expect(log.logEndOffset).toBe(end);
    expect(fs.readFileSync(file(dir, segments[1], '.index')).equals(indexBefore)).toBe(true);
    expect(log.offsetForTimestamp(T0 + 201n)).toEqual({ offset: 41n, timestamp: T0 + 205n });
    expect(log.offsetOfMaxTimestamp()).toEqual({ offset: 79n, timestamp: T0 + 395n });
    await expectEveryOffsetReadable(log, end);
    expect((await log.append(batchOf(1))).baseOffset).toBe(end);
  });

  test('garbage appended to the active segment is truncated with a warning giving the byte count', async () => {
    const { end, segments } = await populate(dir);
    const active = file(dir, segments[segments.length - 1], '.log');
    fs.appendFileSync(active, Buffer.from('this is not a record batch at all....'));
    log = await openLog(dir, { config: CONFIG, logger });
    expect(logger.warnings.join('\n')).toMatch(/truncated 37 bytes/);
    expect(log.logEndOffset).toBe(end);
    await expectEveryOffsetReadable(log, end);
    expect((await log.append(batchOf(1))).baseOffset).toBe(end);
  });

  test('half a batch at the tail (a torn write) is truncated', async () => {
    const { end, segments } = await populate(dir);
    const active = file(dir, segments[segments.length - 1], '.log');
    const sizeBefore = fs.statSync(active).size;
    const half = batchOf(3, 'torn', 40);
    half.writeBigInt64BE(end, 0);
    fs.appendFileSync(active, half.subarray(0, Math.floor(half.length / 2)));
    log = await openLog(dir, { config: CONFIG, logger });
    expect(fs.statSync(active).size).toBe(sizeBefore);
    expect(logger.warnings.join('\n')).toMatch(new RegExp(`truncated ${Math.floor(half.length / 2)} bytes`));
    expect(log.logEndOffset).toBe(end);
  });

  test('a batch with a corrupt CRC after the last index entry is truncated together with everything after it', async () => {
    const { end, segments } = await populate(dir);
    // three more batches that the index will not cover (huge index interval)
    const again = await openLog(dir, { config: { ...CONFIG, indexIntervalBytes: 1 << 20 } });
    for (let i = 0; i < 3; i++) await again.append(batchOf(2, `late${i}-`));
    await again.close();
    const active = file(dir, again.active.baseOffset, '.log');
    const bytes = fs.readFileSync(active);
    const starts: number[] = [];
    for (let p = 0; p < bytes.length; p += bytes.readInt32BE(p + 8) + 12) starts.push(p);
    const victim = starts[starts.length - 3];
    expect(victim).toBeGreaterThan(fs.readFileSync(file(dir, again.active.baseOffset, '.index')).readInt32BE(fs.statSync(file(dir, again.active.baseOffset, '.index')).size - 4));
    bytes[victim + 70] ^= 0x55; // inside the records of the first late batch
    fs.writeFileSync(active, bytes);
    log = await openLog(dir, { config: CONFIG, logger });
    expect(log.logEndOffset).toBe(end);
    expect(logger.warnings.join('\n')).toMatch(/truncated \d+ bytes of torn or corrupt tail .*CRC/);
    expect(segments.length).toBeGreaterThan(1);
    await expectEveryOffsetReadable(log, end);
  });

  test('missing index files are rebuilt, identical to the originals', async () => {
    const { end, segments } = await populate(dir);
    const originals = segments.map((s) => [fs.readFileSync(file(dir, s, '.index')), fs.readFileSync(file(dir, s, '.timeindex'))]);
    for (const s of segments) {
      fs.rmSync(file(dir, s, '.index'));
      fs.rmSync(file(dir, s, '.timeindex'));
    }
    log = await openLog(dir, { config: CONFIG, logger });
    expect(logger.warnings.filter((w) => /rebuilding indexes/.test(w)).length).toBe(segments.length);
    await log.close();
    log = undefined;
    segments.forEach((s, i) => {
      expect(fs.readFileSync(file(dir, s, '.index')).equals(originals[i][0])).toBe(true);
      expect(fs.readFileSync(file(dir, s, '.timeindex')).equals(originals[i][1])).toBe(true);
    });
    log = await openLog(dir, { config: CONFIG });
    await expectEveryOffsetReadable(log, end);
  });

  test('a corrupt index (odd size) or one whose last entry names the wrong batch is rebuilt', async () => {
    const { end, segments } = await populate(dir);
    fs.appendFileSync(file(dir, segments[0], '.index'), Buffer.from([1, 2, 3]));
    const idx1 = fs.readFileSync(file(dir, segments[1], '.index'));
    idx1.writeInt32BE(idx1.readInt32BE(idx1.length - 8) + 1, idx1.length - 8); // last entry: wrong offset
    fs.writeFileSync(file(dir, segments[1], '.index'), idx1);
    const active = segments[segments.length - 1];
    const activeLogSize = fs.statSync(file(dir, active, '.log')).size;
    const idxA = fs.readFileSync(file(dir, active, '.index'));
    idxA.writeInt32BE(idxA.readInt32BE(idxA.length - 4) + 7, idxA.length - 4); // last entry: inside a batch
    fs.writeFileSync(file(dir, active, '.index'), idxA);
    log = await openLog(dir, { config: CONFIG, logger });
    const text = logger.warnings.join('\n');
    const name = (b: bigint): string => b.toString().padStart(20, '0');
    expect(text).toMatch(new RegExp(`${name(segments[0])}\\.log: rebuilding indexes \\(offset index corrupt`));
    expect(text).toMatch(new RegExp(`${name(segments[1])}\\.log: index entries do not match`));
    expect(text).toMatch(new RegExp(`${name(active)}\\.log: index entries do not match`));
    expect(text).not.toMatch(/truncated/);
    expect(fs.statSync(file(dir, active, '.log')).size).toBe(activeLogSize);
    expect(log.logEndOffset).toBe(end);
    await expectEveryOffsetReadable(log, end);
  });

  test('an index entry in the middle that does not land on its batch is ignored by lookups', async () => {
    const { end, segments } = await populate(dir);
    const idx = fs.readFileSync(file(dir, segments[1], '.index'));
    expect(idx.length).toBeGreaterThanOrEqual(24);
    idx.writeInt32BE(idx.readInt32BE(12) + 5, 12); // second entry points into a batch; still increasing
    fs.writeFileSync(file(dir, segments[1], '.index'), idx);
    log = await openLog(dir, { config: CONFIG, logger });
    await expectEveryOffsetReadable(log, end);
    expect(log.segments[1].indexMismatches).toBeGreaterThan(0);
  });

  test('the log start offset is restored from its checkpoint; leftover *.deleted files are removed', async () => {
    const { segments } = await populate(dir);
    log = await openLog(dir, { config: CONFIG });
    await log.deleteRecordsBefore(segments[2] + 3n);
    fs.writeFileSync(path.join(dir, `${'7'.padStart(20, '0')}.log.deleted`), 'x');
    await log.close();
    log = await openLog(dir, { config: CONFIG });
    expect(log.logStartOffset).toBe(segments[2] + 3n);
    expect(log.segments[0].baseOffset).toBe(segments[2]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.deleted'))).toEqual([]);
    await expect(log.read(segments[2] + 2n, 100)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' });
  });
});
