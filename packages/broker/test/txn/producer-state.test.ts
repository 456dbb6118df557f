// The partition log's producer state, at the storage layer: idempotent appends (duplicates answered with the
// original offsets, sequence gaps and stale epochs refused), transactions (last stable offset, ABORT markers in the
// transaction index) and recovery (snapshots on roll and shutdown, replay of batch headers after a crash,
// truncation).
import * as fs from 'node:fs';
import { ControlRecordType, encodeTransactionMarkerBatch } from '@tributary/protocol';
import { isLogError, type PartitionLog } from '../../src/log';
import { openLog, removeDir, tempDir } from '../log/log-test-support';
import { buildBatch } from '../log/record-batch-builder';

const TXN = 0x10;
let dir: string;
let log: PartitionLog;

beforeEach(async () => {
  dir = tempDir('tributary-pstate-');
  log = await openLog(dir);
});
afterEach(async () => {
  await log.close();
  removeDir(dir);
});

const batch = (producerId: bigint, epoch: number, seq: number, n = 1, transactional = false) =>
  buildBatch(
    Array.from({ length: n }, (_, i) => `p${producerId}-e${epoch}-s${seq + i}`),
    { producerId, producerEpoch: epoch, baseSequence: seq, attributes: transactional ? TXN : 0, baseTimestamp: BigInt(Date.now()) },
  );
const marker = (producerId: bigint, epoch: number, type: ControlRecordType.Abort | ControlRecordType.Commit) =>
  encodeTransactionMarkerBatch({ producerId, producerEpoch: epoch, type, coordinatorEpoch: 0, timestamp: BigInt(Date.now()) });
const append = (b: Buffer, origin: 'client' | 'coordinator' = 'client') => log.append(b, { acks: 1, origin });
const error = (p: Promise<unknown>) => p.then(() => 'NONE', (e) => (isLogError(e) ? e.errorName : String(e)));

async function reopen(): Promise<void> {
  await log.close();
  log = await openLog(dir);
}

describe('idempotent appends', () => {
  it('a retry of any of the last five batches is answered with its original offsets and writes nothing', async () => {
    const first = [];
    for (let s = 0; s < 10; s += 2) first.push(await append(batch(7n, 0, s, 2)));
    const end = log.logEndOffset;
    for (let i = 0; i < 5; i++) {
      const again = await append(batch(7n, 0, i * 2, 2));
      expect(again).toMatchObject({ baseOffset: first[i].baseOffset, lastOffset: first[i].lastOffset, duplicate: true, recordCount: 0 });
    }
    expect(log.logEndOffset).toBe(end);
  });

  it('refuses a sequence gap, an old sequence beyond the cache and a stale epoch; accepts a new epoch from 0', async () => {
    for (let s = 0; s < 7; s++) await append(batch(1n, 0, s));
    expect(await error(append(batch(1n, 0, 9)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(await error(append(batch(1n, 0, 0)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER'); // evicted from the cache
    expect(await error(append(batch(1n, 1, 3)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER'); // new epoch must start at 0
    await append(batch(1n, 1, 0));
    expect(await error(append(batch(1n, 0, 7)))).toBe('INVALID_PRODUCER_EPOCH');
    expect(log.logEndOffset).toBe(8n);
  });

  it('accepts an unknown producer at any sequence (KIP-360) and then requires continuity', async () => {
    await append(batch(5n, 3, 42, 3));
    await append(batch(5n, 3, 45));
    expect(await error(append(batch(5n, 3, 47)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  it('remembers the last five batches across a clean restart and across a crash without a snapshot', async () => {
    for (let s = 0; s < 6; s++) await append(batch(9n, 2, s));
    await reopen();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.snapshot'))).toEqual(['00000000000000000006.snapshot']);
    expect((await append(batch(9n, 2, 1))).duplicate).toBe(true);
    expect((await append(batch(9n, 2, 5))).baseOffset).toBe(5n);
    // simulate a crash: the state is rebuilt from the log alone
    await log.close();
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.snapshot')) fs.rmSync(`${dir}/${f}`);
    log = await openLog(dir);
    expect((await append(batch(9n, 2, 3))).baseOffset).toBe(3n);
    expect(await error(append(batch(9n, 2, 8)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect((await append(batch(9n, 2, 6))).baseOffset).toBe(6n);
  });

  it('snapshots on segment roll and replays only the headers after the snapshot', async () => {
    await log.close();
    log = await openLog(dir, { config: { segmentBytes: 400 } });
    for (let s = 0; s < 20; s++) await append(batch(3n, 0, s));
    expect(log.segments.length).toBeGreaterThan(3);
    await new Promise((r) => setTimeout(r, 50));
    const snaps = fs.readdirSync(dir).filter((f) => f.endsWith('.snapshot'));
    expect(snaps.length).toBe(2);
    // crash: no snapshot at the log end; the newest roll snapshot plus the active segment's headers
    const fresh = await openLog(dir, { config: { segmentBytes: 400 } });
    expect((await fresh.append(batch(3n, 0, 19), { acks: 1 })).duplicate).toBe(true);
    expect((await fresh.append(batch(3n, 0, 20), { acks: 1 })).baseOffset).toBe(20n);
    await fresh.close();
  });

  it('truncation rebuilds the state below the new end', async () => {
    for (let s = 0; s < 4; s++) await append(batch(4n, 0, s));
    await log.truncateTo(2n);
    expect((await append(batch(4n, 0, 2))).baseOffset).toBe(2n);
    expect(await error(append(batch(4n, 0, 5)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });
});

describe('transactions in the log', () => {
  it('the last stable offset stops at the earliest open transaction and moves on with its marker', async () => {
    await append(batch(-1n, -1, -1));
    await append(batch(10n, 0, 0, 2, true)); // 1-2
    await append(batch(11n, 0, 0, 1, true)); // 3
    await append(batch(-1n, -1, -1)); // 4
    expect(log.lastStableOffset).toBe(1n);
    expect(log.highWatermark).toBe(5n);
    await append(marker(10n, 0, ControlRecordType.Commit), 'coordinator'); // 5
    expect(log.lastStableOffset).toBe(3n);
    await append(marker(11n, 0, ControlRecordType.Abort), 'coordinator'); // 6
    expect(log.lastStableOffset).toBe(7n);
    expect(log.abortedTransactions(0n, 7n)).toEqual([{ producerId: 11n, firstOffset: 3n, lastOffset: 6n, lastStableOffset: 7n }]);
    expect(log.abortedTransactions(0n, 3n)).toEqual([]);
    expect(log.abortedTransactions(7n, 8n)).toEqual([]);
  });

  it('keeps aborted transactions and open ones across restarts, with and without snapshots', async () => {
    await append(batch(20n, 0, 0, 3, true)); // 0-2
    await append(marker(20n, 0, ControlRecordType.Abort), 'coordinator'); // 3
    await append(batch(21n, 0, 0, 1, true)); // 4, left open
    await reopen();
    expect(fs.existsSync(`${dir}/00000000000000000000.txnindex`)).toBe(true);
    expect(log.abortedTransactions(0n, 10n)).toEqual([{ producerId: 20n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 4n }]);
    expect(log.lastStableOffset).toBe(4n);
    await log.close();
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.snapshot') || f.endsWith('.txnindex')) fs.rmSync(`${dir}/${f}`);
    log = await openLog(dir);
    expect(log.abortedTransactions(0n, 10n)).toEqual([{ producerId: 20n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 4n }]);
    expect(log.lastStableOffset).toBe(4n);
    await append(marker(21n, 0, ControlRecordType.Commit), 'coordinator');
    expect(log.lastStableOffset).toBe(log.highWatermark);
  });

  it('refuses a non-transactional write inside a transaction, markers from clients and markers with a stale epoch', async () => {
    await append(batch(30n, 1, 0, 1, true));
    expect(await error(append(batch(30n, 1, 1)))).toBe('INVALID_TXN_STATE');
    expect(await error(append(marker(30n, 1, ControlRecordType.Commit)))).toBe('INVALID_RECORD');
    expect(await error(append(marker(30n, 0, ControlRecordType.Commit), 'coordinator'))).toBe('INVALID_PRODUCER_EPOCH');
    // an abort with a bumped epoch (coordinator timeout) fences the producer's old epoch
    await append(marker(30n, 2, ControlRecordType.Abort), 'coordinator');
    expect(await error(append(batch(30n, 1, 1, 1, true)))).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('forgets aborted transactions and their .txnindex once retention removed their segments', async () => {
    await log.close();
    log = await openLog(dir, { config: { segmentBytes: 300 } });
    await append(batch(40n, 0, 0, 1, true));
    await append(marker(40n, 0, ControlRecordType.Abort), 'coordinator');
    for (let s = 0; s < 12; s++) await append(batch(41n, 0, s));
    await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(`${dir}/00000000000000000000.txnindex`)).toBe(true);
    await log.deleteRecordsBefore(log.logEndOffset - 1n);
    expect(log.abortedTransactions(0n, 100n)).toEqual([]);
    for (let s = 12; s < 16; s++) await append(batch(41n, 0, s)); // rolls: the next snapshot cleans up
    await new Promise((r) => setTimeout(r, 50));
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.txnindex'))).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.snapshot')).length).toBeLessThanOrEqual(2);
  });

  it('refuses a transactional batch without a producer id', async () => {
    expect(await error(append(buildBatch(['x'], { attributes: TXN })))).toBe('INVALID_RECORD');
  });
});
