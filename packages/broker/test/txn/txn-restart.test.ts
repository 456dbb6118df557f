// What survives a broker restart: producer ids are never handed out twice, a retried batch is still recognised
// as a duplicate (producer snapshots plus replay), an open transaction keeps holding the last stable offset and
// can still be committed, staged transactional offsets are applied or dropped correctly after the group
// coordinator reloads, and a transaction decided before the restart but not completed is completed on load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { ApiKey, ErrorCode, createOffsetFetchRequest, type OffsetFetchResponse } from '@tributary/protocol';
import { TxnState } from '../../src/coordinator/transactions/transaction-metadata';
import { TxnWire, committedView, idempotentBatch } from './txn-test-support';

jest.setTimeout(60_000);

const CONFIG = { 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' };
let dataDir: string;
let kafka: TestBroker;
let wire: TxnWire;

async function start(): Promise<void> {
  kafka = await createTestBroker({ dataDir, config: CONFIG });
  wire = await TxnWire.connect(kafka.port);
}
async function restart(): Promise<void> {
  wire.close();
  await kafka.close();
  await start();
}

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-txn-restart-'));
  await start();
});
afterEach(async () => {
  wire.close();
  await kafka.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function committedOffset(groupId: string, topic: string): Promise<bigint> {
  const res = await wire.client.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 5, createOffsetFetchRequest({ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }));
  return res.topics[0].partitions[0].committedOffset;
}

it('keeps producer state: a retry after the restart is a duplicate, a gap is still refused, ids are not reused', async () => {
  await kafka.broker.logs.createTopic('idem', { partitions: 1 });
  const { producerId: pid } = await wire.initProducerId(null);
  const b = (sequence: number) => idempotentBatch({ producerId: pid, epoch: 0, sequence, values: [`v${sequence}`] });
  for (let s = 0; s < 5; s++) expect((await wire.produce('idem', 0, b(s))).baseOffset).toBe(BigInt(s));
  await restart();
  expect(await wire.produce('idem', 0, b(3))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3n });
  expect((await wire.produce('idem', 0, b(6))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  expect((await wire.produce('idem', 0, b(5))).baseOffset).toBe(5n);
  expect(kafka.broker.logs.log('idem', 0)!.logEndOffset).toBe(6n);
  const next = await wire.initProducerId(null);
  expect(next.producerId).toBeGreaterThan(pid);
});

it('keeps an open transaction: the last stable offset stays put and the producer can still commit', async () => {
  await kafka.broker.logs.createTopic('open-txn', { partitions: 1 });
  const r = await wire.initProducerId('restart-open');
  const { producerId: pid, producerEpoch: epoch } = r;
  await wire.addPartitions('restart-open', pid, epoch, 'open-txn', [0]);
  const batch = (sequence: number) => idempotentBatch({ producerId: pid, epoch, sequence, values: [`t${sequence}`], transactional: true });
  await wire.produce('open-txn', 0, batch(0), { transactionalId: 'restart-open' });
  await restart();
  expect(kafka.broker.transactions.describe('restart-open')).toMatchObject({ state: TxnState.Ongoing, producerId: pid, producerEpoch: epoch });
  expect(await wire.latestOffset('open-txn', 0, 1)).toBe(0n);
  expect((await wire.produce('open-txn', 0, batch(0), { transactionalId: 'restart-open' })).baseOffset).toBe(0n); // duplicate
  expect((await wire.produce('open-txn', 0, batch(1), { transactionalId: 'restart-open' })).baseOffset).toBe(1n);
  expect(await wire.endTxn('restart-open', pid, epoch, true)).toBe(ErrorCode.NONE);
  const p = await wire.fetch('open-txn', 0, 0n, 1);
  expect(committedView(p)).toEqual(['t0', 't1']);
  expect(p.lastStableOffset).toBe(3n);
  // the epoch after a restart continues from the stored one
  expect((await wire.initProducerId('restart-open')).producerEpoch).toBe(epoch + 1);
});

it('applies committed transactional offsets and ignores aborted ones after the group coordinator reloads', async () => {
  await kafka.broker.logs.createTopic('src', { partitions: 1 });
  const { producerId: pid, producerEpoch: epoch } = await wire.initProducerId('restart-offsets');
  await wire.addOffsets('restart-offsets', pid, epoch, 'g1');
  await wire.txnOffsetCommit('restart-offsets', pid, epoch, 'g1', 'src', 0, 10n);
  expect(await wire.endTxn('restart-offsets', pid, epoch, true)).toBe(ErrorCode.NONE);
  await wire.addOffsets('restart-offsets', pid, epoch, 'g1');
  await wire.txnOffsetCommit('restart-offsets', pid, epoch, 'g1', 'src', 0, 20n);
  expect(await wire.endTxn('restart-offsets', pid, epoch, false)).toBe(ErrorCode.NONE);
  await wire.addOffsets('restart-offsets', pid, epoch, 'g1');
  await wire.txnOffsetCommit('restart-offsets', pid, epoch, 'g1', 'src', 0, 30n); // still open at the restart
  await restart();
  expect(await committedOffset('g1', 'src')).toBe(10n);
  expect(await wire.endTxn('restart-offsets', pid, epoch, true)).toBe(ErrorCode.NONE);
  expect(await committedOffset('g1', 'src')).toBe(30n);
  await restart();
  expect(await committedOffset('g1', 'src')).toBe(30n);
});

it('completes on load a transaction whose decision was written but whose markers were not', async () => {
  await kafka.broker.logs.createTopic('decided', { partitions: 1 });
  const { producerId: pid, producerEpoch: epoch } = await wire.initProducerId('restart-decided');
  await wire.addPartitions('restart-decided', pid, epoch, 'decided', [0]);
  await wire.produce('decided', 0, idempotentBatch({ producerId: pid, epoch, sequence: 0, values: ['kept'], transactional: true }), {
    transactionalId: 'restart-decided',
  });
  // the marker write fails: EndTxn is answered once the decision is durable, completion is left to retries
  const log = kafka.broker.logs.log('decided', 0)!;
  const original = log.append.bind(log);
  log.append = (records, opts) => (opts?.origin === 'coordinator' ? Promise.reject(new Error('disk on fire')) : original(records, opts));
  expect(await wire.endTxn('restart-decided', pid, epoch, true)).toBe(ErrorCode.NONE);
  expect(kafka.broker.transactions.describe('restart-decided')?.state).toBe(TxnState.PrepareCommit);
  expect(await wire.addPartitions('restart-decided', pid, epoch, 'decided', [0])).toEqual([ErrorCode.CONCURRENT_TRANSACTIONS]);
  await restart();
  const deadline = Date.now() + 5000;
  while (kafka.broker.transactions.describe('restart-decided')?.state !== TxnState.CompleteCommit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(kafka.broker.transactions.describe('restart-decided')?.state).toBe(TxnState.CompleteCommit);
  expect(committedView(await wire.fetch('decided', 0, 0n, 1))).toEqual(['kept']);
});
