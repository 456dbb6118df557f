// Compaction at the storage layer: what the cleaner keeps and removes (latest value per key, tombstones after
// delete.retention.ms with the KIP-534 delete horizon, keyless records), what it never touches (the active
// segment, records younger than min.compaction.lag.ms, partitions below min.cleanable.dirty.ratio, open
// transactions), offsets and indexes after cleaning, compression, bounded key maps, and the produce-side keyless
// check.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ATTR_DELETE_HORIZON, ControlRecordType, ErrorCode, decodeRecordBatches, encodeTransactionMarkerBatch } from '@tributary/protocol';
import { isLogError, type LogError, type LogManager, type PartitionLog } from '../../src/log';
import { COMPACT, T0, keyed, latestValues, openManager, readAll, type Env, type KV } from './compaction-support';
import { removeDir, tempDir } from './log-test-support';

// Every case runs with the cleaner's work in its worker thread (the default) and on the event loop.
describe.each([
  ['a worker thread', '1'],
  ['the event loop', '0'],
])('with the cleaner on %s', (_where, threads) => {
  let dir: string;
  let env: Env;
  let mgr: LogManager;

  beforeEach(async () => {
    dir = tempDir('tributary-compact-');
    env = await openManager(dir, { 'log.cleaner.threads': threads });
    mgr = env.mgr;
  });
  afterEach(async () => {
    await mgr.close();
    removeDir(dir);
  });

  async function topic(name: string, configs: Record<string, string> = {}): Promise<PartitionLog> {
    await mgr.createTopic(name, { partitions: 1, configs: { ...COMPACT, ...configs } });
    return mgr.log(name, 0)!;
  }

  /** Appends `rounds` batches, each updating every one of `keys` keys; returns offset -> [key, value]. */
  async function fill(log: PartitionLog, keys: number, rounds: number, pad = 20): Promise<Map<bigint, KV>> {
    const written = new Map<bigint, KV>();
    for (let r = 0; r < rounds; r++) {
      const recs: KV[] = Array.from({ length: keys }, (_, k) => [`key-${k}`, `r${r}-k${k}-${'x'.repeat(pad)}`]);
      const { baseOffset } = await log.append(keyed(recs, { ts: env.clock.now }), { acks: 1 });
      recs.forEach((kv, i) => written.set(baseOffset + BigInt(i), kv));
    }
    return written;
  }

  describe('what compaction keeps', () => {
    it('keeps only the latest value of every key across many segments, at its original offset', async () => {
      const log = await topic('latest');
      const written = await fill(log, 25, 40);
      const before = await readAll(log);
      expect(log.segments.length).toBeGreaterThan(20);
      const [pass] = await mgr.cleaner.cleanNow('latest');
      expect(pass.recordsRead).toBeGreaterThan(900);
      expect(mgr.cleaner.runsIn).toBe(threads === '1' ? 'worker thread' : 'event loop');
      expect(env.logger.warnings).toEqual([]);
      const after = await readAll(log);
      expect(latestValues(after.records)).toEqual(latestValues(before.records));
      // every surviving record sits at the offset it was written at
      for (const r of after.records) expect(written.get(r.offset)).toEqual([r.key, r.value]);
      // below the cleaned end, one record per key; only the active segment may hold more
      const cleanedEnd = pass.endOffset;
      const cleaned = after.records.filter((r) => r.offset < cleanedEnd);
      expect(new Set(cleaned.map((r) => r.key)).size).toBe(cleaned.length);
      expect(cleaned.length).toBeLessThanOrEqual(25);
      expect(log.size).toBeLessThan(pass.bytesRead / 10);
      // groups are formed from the segments' sizes before cleaning (as in Kafka): the next pass merges the small ones
      expect(pass.segmentsAfter).toBe(pass.segmentsBefore);
      const [merge] = await mgr.cleaner.cleanNow('latest', { force: true });
      expect(merge.segmentsAfter).toBeLessThanOrEqual(3);
      expect((await readAll(log)).records).toEqual(after.records);
    });

    it('serves dense reads over the gaps: a fetch at a removed offset returns the next surviving batch', async () => {
      const log = await topic('gaps');
      await fill(log, 10, 30);
      await mgr.cleaner.cleanNow('gaps');
      const { records, fetches } = await readAll(log, 1);
      expect(fetches).toBeGreaterThan(1);
      const offsets = records.map((r) => r.offset);
      expect([...offsets].sort((a, b) => (a < b ? -1 : 1))).toEqual(offsets);
      const firstKept = offsets[0];
      expect(firstKept).toBeGreaterThan(0n);
      const { records: bytes } = await log.read(0n, 1);
      expect(decodeRecordBatches(bytes).batches[0].records.some((r) => r.offset === firstKept)).toBe(true);
      // and every offset from the start to the end is answered with data at or after it
      for (let o = 0n; o < log.logEndOffset; o += 17n) {
        const r = await log.read(o, 1);
        const last = decodeRecordBatches(r.records).batches.at(-1)!;
        expect(last.lastOffset).toBeGreaterThanOrEqual(o);
      }
    });

    it('never touches the active segment', async () => {
      const log = await topic('active', { 'segment.bytes': String(1 << 20) });
      await fill(log, 5, 10);
      expect(log.segments.length).toBe(1);
      expect(await mgr.cleaner.cleanNow('active', { force: true })).toEqual([]);
      expect((await readAll(log)).records.length).toBe(50);
    });

    it('removes keyless records left from before the topic was compacted', async () => {
      const log = await topic('keyless', { 'cleanup.policy': 'delete' });
      await log.append(keyed([[null, 'a'], ['k', 'v1'], [null, 'b']]), { acks: 1 });
      log.roll();
      await log.append(keyed([['k', 'v2']]), { acks: 1 });
      log.roll();
      await mgr.alterTopicConfig('keyless', [{ name: 'cleanup.policy', op: 'set', value: 'compact' }]);
      const [pass] = await mgr.cleaner.cleanNow('keyless');
      expect(pass.keylessRemoved).toBe(2);
      expect((await readAll(log)).records.map((r) => [r.key, r.value])).toEqual([['k', 'v2']]);
    });
  });

  describe('tombstones', () => {
    it('are kept with a delete horizon on the first clean and removed only once delete.retention.ms has passed', async () => {
      const log = await topic('tomb', { 'delete.retention.ms': '60000' });
      await log.append(keyed([['a', '1'], ['b', '1'], ['c', '1']]), { acks: 1 });
      log.roll();
      await log.append(keyed([['a', null], ['b', '2']]), { acks: 1 });
      log.roll();
      const [first] = await mgr.cleaner.cleanNow('tomb');
      expect(first.tombstonesRemoved).toBe(0);
      const { batches } = await readAll(log);
      let { records } = await readAll(log);
      expect(records.map((r) => [r.key, r.value])).toEqual([['c', '1'], ['a', null], ['b', '2']]);
      const tombBatch = batches.find((b) => b.records.some((r) => r.value === null))!;
      expect(tombBatch.attributes & ATTR_DELETE_HORIZON).toBe(ATTR_DELETE_HORIZON);
      expect(tombBatch.baseTimestamp).toBe(BigInt(env.clock.now + 60000)); // KIP-534: the horizon is the base timestamp
      // record timestamps survive the new base timestamp
      expect(records.find((r) => r.key === 'a')!.timestamp).toBe(BigInt(T0));

      env.clock.now += 59_000;
      await mgr.cleaner.cleanNow('tomb', { force: true });
      ({ records } = await readAll(log));
      expect(records.some((r) => r.key === 'a')).toBe(true);

      env.clock.now += 2_000;
      const [last] = await mgr.cleaner.cleanNow('tomb', { force: true });
      expect(last.tombstonesRemoved).toBe(1);
      ({ records } = await readAll(log));
      expect(records.map((r) => [r.key, r.value])).toEqual([['c', '1'], ['b', '2']]);
    });

    it('a tombstone superseded by a later value goes at once', async () => {
      const log = await topic('tomb2');
      await log.append(keyed([['a', '1'], ['a', null], ['a', '2']]), { acks: 1 });
      log.roll();
      await mgr.cleaner.cleanNow('tomb2');
      expect((await readAll(log)).records.map((r) => [r.key, r.value])).toEqual([['a', '2']]);
    });
  });

  describe('when cleaning happens', () => {
    it('respects min.compaction.lag.ms: younger segments stay dirty until they are old enough', async () => {
      const log = await topic('lag', { 'min.compaction.lag.ms': '3600000' });
      await fill(log, 5, 8);
      log.roll();
      expect(await mgr.cleaner.cleanNow('lag')).toEqual([]);
      expect(mgr.cleaner.cleanableState(log).cleanableBytes).toBe(0);
      env.clock.now += 3_600_100;
      const [pass] = await mgr.cleaner.cleanNow('lag');
      expect(pass.recordsKept).toBe(5);
    });

    it('min.compaction.lag.ms splits the log: older segments are cleaned, younger ones left alone', async () => {
      const log = await topic('lag2', { 'min.compaction.lag.ms': '1000' });
      await fill(log, 5, 6); // timestamps T0..
      log.roll();
      env.clock.now += 10_000;
      const young = await fill(log, 5, 6); // timestamps T0 + 10 s: younger than the lag
      log.roll();
      const [pass] = await mgr.cleaner.cleanNow('lag2');
      const firstYoung = [...young.keys()][0];
      expect(pass.firstUncleanableOffset).toBeLessThanOrEqual(firstYoung);
      const { records } = await readAll(log);
      for (const o of young.keys()) expect(records.some((r) => r.offset === o)).toBe(true);
    });

    it('respects min.cleanable.dirty.ratio: a mostly clean log waits, a dirty one is cleaned', async () => {
      const log = await topic('ratio', { 'min.cleanable.dirty.ratio': '0.5' });
      await fill(log, 10, 20);
      log.roll();
      await mgr.cleaner.cleanNow('ratio');
      const cleanBytes = mgr.cleaner.cleanableState(log).cleanBytes;
      expect(cleanBytes).toBeGreaterThan(0);
      // a little new dirty data: ratio below 0.5
      await fill(log, 2, 1);
      log.roll();
      const state = mgr.cleaner.cleanableState(log);
      expect(state.dirtyRatio).toBeGreaterThan(0);
      expect(state.dirtyRatio).toBeLessThan(0.5);
      expect(state.due).toBe(false);
      expect(await mgr.cleaner.cleanNow('ratio')).toEqual([]);
      // lots of new dirty data: due
      await fill(log, 10, 20);
      log.roll();
      expect(mgr.cleaner.cleanableState(log).dirtyRatio).toBeGreaterThanOrEqual(0.5);
      expect((await mgr.cleaner.cleanNow('ratio')).length).toBe(1);
    });

    it('max.compaction.lag.ms makes an old dirty log due whatever its ratio', async () => {
      const log = await topic('maxlag', { 'min.cleanable.dirty.ratio': '0.99', 'max.compaction.lag.ms': '60000' });
      await fill(log, 10, 20);
      log.roll();
      await mgr.cleaner.cleanNow('maxlag', { force: true });
      await fill(log, 2, 1);
      log.roll();
      expect(mgr.cleaner.cleanableState(log).due).toBe(false);
      env.clock.now += 120_000;
      const state = mgr.cleaner.cleanableState(log);
      expect(state.overdue).toBe(true);
      expect(state.due).toBe(true);
      expect((await mgr.cleaner.cleanNow('maxlag')).length).toBe(1);
    });

    it('IncrementalAlterConfigs to compact takes effect on the next round; compact,delete applies retention too', async () => {
      const log = await topic('switch', { 'cleanup.policy': 'delete' });
      await fill(log, 10, 20);
      log.roll();
      expect(await mgr.cleaner.cleanNow('switch')).toEqual([]);
      await mgr.alterTopicConfig('switch', [{ name: 'cleanup.policy', op: 'append', value: 'compact' }]);
      expect(log.config.compactEnabled && log.config.deleteEnabled).toBe(true);
      const [pass] = await mgr.cleaner.cleanNow('switch');
      expect(pass.recordsKept).toBe(10);
      await mgr.alterTopicConfig('switch', [{ name: 'retention.ms', op: 'set', value: '1000' }]);
      env.clock.now += 60_000;
      await fill(log, 1, 1); // new data, then retention removes every old segment
      log.roll();
      expect(await log.applyRetention(env.clock.now)).toBeGreaterThan(0);
      expect((await readAll(log)).records.every((r) => r.key === 'key-0')).toBe(true);
    });
  });

  describe('transactions and idempotent producers', () => {
    const TXN = 0x10;
    const marker = (producerId: bigint, type: ControlRecordType.Abort | ControlRecordType.Commit) =>
      encodeTransactionMarkerBatch({ producerId, producerEpoch: 0, type, coordinatorEpoch: 0, timestamp: BigInt(T0) });

    it('drops aborted transactional data, keeps committed data and every marker', async () => {
      const log = await topic('txn');
      await log.append(keyed([['a', 'plain-1'], ['b', 'plain-1']]), { acks: 1 });
      await log.append(keyed([['a', 'aborted'], ['c', 'aborted']], { producerId: 5n, producerEpoch: 0, baseSequence: 0, attributes: TXN }), { acks: 1 });
      await log.append(marker(5n, ControlRecordType.Abort), { acks: 1, origin: 'coordinator' });
      await log.append(keyed([['b', 'committed']], { producerId: 6n, producerEpoch: 0, baseSequence: 0, attributes: TXN }), { acks: 1 });
      await log.append(marker(6n, ControlRecordType.Commit), { acks: 1, origin: 'coordinator' });
      log.roll();
      const [pass] = await mgr.cleaner.cleanNow('txn');
      expect(pass.abortedRemoved).toBe(2);
      const { batches, records } = await readAll(log);
      expect(records.map((r) => [r.key, r.value])).toEqual([['a', 'plain-1'], ['b', 'committed']]);
      expect(batches.filter((b) => b.isControl)).toHaveLength(2);
      // producer 5's only batch is its last one: kept as an empty batch so its sequence survives
      const emptied = batches.find((b) => b.producerId === 5n && !b.isControl)!;
      expect(emptied.records).toEqual([]);
      expect(emptied.lastOffset - emptied.baseOffset).toBe(1n);
    });

    it('never cleans past an open transaction (the first unstable offset)', async () => {
      const log = await topic('open');
      await log.append(keyed([['a', '1']]), { acks: 1 });
      await log.append(keyed([['a', 'in-txn']], { producerId: 9n, producerEpoch: 0, baseSequence: 0, attributes: TXN }), { acks: 1 });
      await log.append(keyed([['a', '2']]), { acks: 1 });
      log.roll();
      await log.append(keyed([['a', '3']]), { acks: 1 });
      log.roll();
      const [pass] = await mgr.cleaner.cleanNow('open');
      expect(pass.firstUncleanableOffset).toBe(1n);
      expect((await readAll(log)).records.map((r) => r.value)).toEqual(['1', 'in-txn', '2', '3']);
    });

    it("keeps an idempotent producer's last batch as an empty batch with its original last offset and sequence", async () => {
      const log = await topic('idem');
      await log.append(keyed([['k', 'a'], ['k', 'b']], { producerId: 3n, producerEpoch: 0, baseSequence: 0 }), { acks: 1 });
      await log.append(keyed([['j', 'x'], ['j', 'y']], { producerId: 4n, producerEpoch: 0, baseSequence: 0 }), { acks: 1 });
      await log.append(keyed([['k', 'c'], ['j', 'z']]), { acks: 1 });
      log.roll();
      await mgr.cleaner.cleanNow('idem');
      const { batches, records } = await readAll(log);
      expect(records.map((r) => r.value)).toEqual(['c', 'z']);
      const p3 = batches.find((b) => b.producerId === 3n)!;
      expect(p3).toMatchObject({ baseOffset: 0n, lastOffset: 1n, baseSequence: 0, records: [] });
      // and the producer can go on with its next sequence after a restart
      await mgr.close();
      env = await openManager(dir, { 'log.cleaner.threads': threads }, env.clock);
      mgr = env.mgr;
      const again = mgr.log('idem', 0)!;
      await expect(again.append(keyed([['k', 'd']], { producerId: 3n, producerEpoch: 0, baseSequence: 2 }), { acks: 1 })).resolves.toMatchObject({ baseOffset: 6n });
    });
  });

  describe('segments and indexes after cleaning', () => {
    it('re-encodes compressed batches with their codec, producer fields and original base offsets', async () => {
      const log = await topic('gzip');
      await log.append(keyed([['a', '1'], ['b', '1'], ['c', '1']], { gzip: true, producerId: 11n, producerEpoch: 2, baseSequence: 0 }), { acks: 1 });
      await log.append(keyed([['a', '2']], { gzip: true }), { acks: 1 });
      log.roll();
      await mgr.cleaner.cleanNow('gzip');
      const { records: bytes } = await log.read(0n, 1 << 20);
      const [first] = decodeRecordBatches(bytes).batches;
      expect(first).toMatchObject({ baseOffset: 0n, lastOffset: 2n, compression: 1, producerId: 11n, producerEpoch: 2, baseSequence: 0 });
      expect(first.records.map((r) => [r.offset, r.key?.toString()])).toEqual([[1n, 'b'], [2n, 'c']]);
    });

    it('rebuilds offset and time indexes: timestamp lookups work and a reopen finds nothing to repair', async () => {
      const log = await topic('index', { 'index.interval.bytes': '100' });
      for (let i = 0; i < 30; i++) await log.append(keyed([[`k${i % 7}`, `v${i}`.padEnd(60, '.')]], { ts: T0 + i * 1000 }), { acks: 1 });
      log.roll();
      await mgr.cleaner.cleanNow('index');
      const { records } = await readAll(log);
      const target = records[3];
      expect(log.offsetForTimestamp(target.timestamp)?.offset).toBe(target.offset);
      expect(log.segments.reduce((n, seg) => n + seg.offsetIndex.entries, 0)).toBeGreaterThan(0);
      await mgr.close();
      env = await openManager(dir, { 'log.cleaner.threads': threads }, env.clock);
      mgr = env.mgr;
      expect(env.logger.warnings).toEqual([]);
      expect((await readAll(mgr.log('index', 0)!)).records).toEqual(records);
    });

    it('cleans in several passes when the key map is too small for the dirty section, with the same result', async () => {
      const small = tempDir('tributary-compact-small-');
      const e = await openManager(small, { 'log.cleaner.dedupe.buffer.size': '1', 'log.cleaner.threads': threads }); // 16 slots: 14 keys per pass
      try {
        await e.mgr.createTopic('passes', { partitions: 1, configs: COMPACT });
        const log = e.mgr.log('passes', 0)!;
        for (let r = 0; r < 6; r++) {
          for (let k = 0; k < 40; k += 4) {
            await log.append(keyed(Array.from({ length: 4 }, (_, i): KV => [`key-${k + i}`, `r${r}`])), { acks: 1 });
          }
        }
        log.roll();
        const before = latestValues((await readAll(log)).records);
        const passes = await e.mgr.cleaner.cleanNow('passes');
        expect(passes.length).toBeGreaterThan(3);
        expect(passes.slice(0, -1).every((p) => p.mapFull)).toBe(true);
        const after = (await readAll(log)).records;
        expect(latestValues(after)).toEqual(before);
        expect(after.length).toBe(40);
      } finally {
        await e.mgr.close();
        removeDir(small);
      }
    });

    it('writes the cleaner checkpoint file in Kafka\'s format', async () => {
      const log = await topic('ckpt');
      await fill(log, 3, 10);
      log.roll();
      const [pass] = await mgr.cleaner.cleanNow('ckpt');
      const text = fs.readFileSync(path.join(dir, 'cleaner-offset-checkpoint'), 'utf8');
      expect(text).toBe(`0\n1\nckpt 0 ${pass.endOffset}\n`);
      expect(mgr.cleaner.firstDirtyOffset(log)).toBe(pass.endOffset);
    });
  });

  describe('produce to a compacted topic', () => {
    it('rejects keyless records with INVALID_RECORD and one record error each, writing nothing', async () => {
      const log = await topic('nokey');
      const err = await log.append(keyed([['k', 'v'], [null, 'v'], ['k', 'v'], [null, null]]), { acks: 1 }).catch((e: LogError) => e);
      expect(isLogError(err, 'INVALID_RECORD')).toBe(true);
      const e = err as LogError;
      expect(e.code).toBe(ErrorCode.INVALID_RECORD);
      expect(e.recordErrors).toEqual([
        { batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition nokey-0.' },
        { batchIndex: 3, message: 'Compacted topic cannot accept message without key in topic partition nokey-0.' },
      ]);
      expect(e.message).toMatch(/^One or more records have been rejected due to 2 record errors in total/);
      expect(log.logEndOffset).toBe(0n);
      // compressed batches are checked too; keyed ones pass
      await expect(log.append(keyed([[null, 'v']], { gzip: true }), { acks: 1 })).rejects.toMatchObject({ errorName: 'INVALID_RECORD' });
      await expect(log.append(keyed([['k', 'v']], { gzip: true }), { acks: 1 })).resolves.toMatchObject({ baseOffset: 0n });
    });

    it('accepts keyless records on a delete topic', async () => {
      const log = await topic('plain', { 'cleanup.policy': 'delete' });
      await expect(log.append(keyed([[null, 'v']]), { acks: 1 })).resolves.toMatchObject({ baseOffset: 0n });
    });
  });
});
