// Idempotence and transactions at exact wire versions, with a raw client: producer id and epoch handling
// (InitProducerId, KIP-360 epoch recovery, fencing), sequence checks, the transaction state machine and its errors
// (INVALID_TRANSACTION_TIMEOUT, INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS,
// PRODUCER_FENCED and its pre-v2/v4 spelling INVALID_PRODUCER_EPOCH), timeouts, transactional offset commits,
// and what Fetch and ListOffsets report (last stable offset, aborted transactions).
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { ApiKey, ErrorCode, createOffsetFetchRequest, type OffsetFetchResponse } from '@tributary/protocol';
import type { PartitionLog } from '../../src/log';
import { TxnState } from '../../src/coordinator/transactions/transaction-metadata';
import { TxnWire, committedView, idempotentBatch, recordsOf } from './txn-test-support';

jest.setTimeout(30_000);

let kafka: TestBroker;
let wire: TxnWire;
let seq = 0;

beforeAll(async () => {
  kafka = await createTestBroker({
    config: {
      'transaction.max.timeout.ms': '60000',
      'transaction.state.log.num.partitions': '4',
      'offsets.topic.num.partitions': '4',
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': '0',
    },
  });
  wire = await TxnWire.connect(kafka.port);
});
afterAll(async () => {
  wire.close();
  await kafka.close();
});

async function topic(partitions = 1): Promise<string> {
  const name = `txn-wire-${++seq}`;
  await kafka.broker.logs.createTopic(name, { partitions });
  return name;
}

async function transactional(id: string, timeoutMs = 60_000): Promise<{ pid: bigint; epoch: number }> {
  const r = await wire.initProducerId(id, timeoutMs);
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return { pid: r.producerId, epoch: r.producerEpoch };
}

describe('InitProducerId', () => {
  it('gives idempotent producers fresh ids at epoch 0, also when a v3+ request names its old id', async () => {
    const a = await wire.initProducerId(null);
    const b = await wire.initProducerId(null, 0, 5, a.producerId, 0);
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(b).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(b.producerId).toBeGreaterThan(a.producerId);
  });

  it('refuses bad transaction timeouts, an empty transactional id and half a KIP-360 identity', async () => {
    expect((await wire.initProducerId('t-timeout', 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await wire.initProducerId('t-timeout', 60_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await wire.initProducerId('t-timeout', -5, 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await wire.initProducerId('', 1000)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await wire.initProducerId('t-half', 1000, 4, 5n, -1)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await wire.initProducerId('t-timeout', 60_000)).errorCode).toBe(ErrorCode.NONE);
  });

  it('bumps the epoch of a transactional id on every call, fencing the previous producer', async () => {
    const t = await topic();
    const first = await transactional('t-bump');
    const second = await transactional('t-bump');
    expect(second).toEqual({ pid: first.pid, epoch: first.epoch + 1 });
    const batch = (epoch: number) => idempotentBatch({ producerId: first.pid, epoch, sequence: 0, values: ['x'], transactional: true });
    expect(await wire.addPartitions('t-bump', first.pid, first.epoch, t, [0])).toEqual([ErrorCode.PRODUCER_FENCED]);
    expect(await wire.addPartitions('t-bump', first.pid, first.epoch, t, [0], 1)).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await wire.endTxn('t-bump', first.pid, first.epoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await wire.endTxn('t-bump', first.pid, first.epoch, true, 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await wire.addPartitions('t-bump', second.pid, second.epoch, t, [0])).toEqual([ErrorCode.NONE]);
    expect((await wire.produce(t, 0, batch(second.epoch), { transactionalId: 't-bump' })).errorCode).toBe(ErrorCode.NONE);
    expect((await wire.produce(t, 0, batch(first.epoch), { transactionalId: 't-bump' })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await wire.endTxn('t-bump', second.pid, second.epoch, true)).toBe(ErrorCode.NONE);
  });

  it('KIP-360: a producer naming its current epoch gets the next one, a retry of that bump the same one, a stale one is fenced', async () => {
    const { pid, epoch } = await transactional('t-kip360');
    const bumped = await wire.initProducerId('t-kip360', 60_000, 4, pid, epoch);
    expect(bumped).toMatchObject({ errorCode: 0, producerId: pid, producerEpoch: epoch + 1 });
    const retried = await wire.initProducerId('t-kip360', 60_000, 4, pid, epoch);
    expect(retried).toMatchObject({ errorCode: 0, producerId: pid, producerEpoch: epoch + 1 });
    expect((await wire.initProducerId('t-kip360', 60_000, 4, pid, epoch + 7)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await wire.initProducerId('t-kip360', 60_000, 3, pid, epoch + 7)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await wire.initProducerId('t-kip360', 60_000, 4, pid + 1000n, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('aborts the open transaction of a transactional id first (CONCURRENT_TRANSACTIONS), then hands out the epoch after it', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-reinit');
    await wire.addPartitions('t-reinit', pid, epoch, t, [0]);
    await wire.produce(t, 0, idempotentBatch({ producerId: pid, epoch, sequence: 0, values: ['open'], transactional: true }), { transactionalId: 't-reinit' });
    expect((await wire.initProducerId('t-reinit')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    const again = await transactional('t-reinit');
    expect(again).toEqual({ pid, epoch: epoch + 2 });
    const p = await wire.fetch(t, 0, 0n, 1);
    expect(p.lastStableOffset).toBe(p.highWatermark);
    expect(committedView(p)).toEqual([]);
    expect(p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 0n }]);
  });
});

describe('idempotent produce', () => {
  it('answers a retried batch with its original offsets, refuses gaps and stale epochs', async () => {
    const t = await topic();
    const { producerId: pid } = await wire.initProducerId(null);
    const b = (sequence: number, values: string[], epoch = 0) => idempotentBatch({ producerId: pid, epoch, sequence, values });
    expect((await wire.produce(t, 0, b(0, ['a', 'b']))).baseOffset).toBe(0n);
    expect((await wire.produce(t, 0, b(2, ['c']))).baseOffset).toBe(2n);
    const dup = await wire.produce(t, 0, b(0, ['a', 'b']));
    expect(dup).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect((await wire.produce(t, 0, b(5, ['gap']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await wire.produce(t, 0, b(3, ['d']))).baseOffset).toBe(3n);
    expect((await wire.produce(t, 0, b(0, ['new epoch'], 1))).baseOffset).toBe(4n);
    expect((await wire.produce(t, 0, b(4, ['old epoch'], 0))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await wire.produce(t, 0, b(2, ['bad'], 2))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(recordsOf(await wire.fetch(t, 0, 0n, 0)).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd', 'new epoch']);
  });
});

describe('transaction state machine', () => {
  it('refuses EndTxn without a transaction, the opposite decision after completion, unknown ids and producer ids', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-states');
    expect(await wire.endTxn('t-states', pid, epoch, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await wire.endTxn('t-unknown', pid, epoch, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await wire.addPartitions('t-unknown', pid, epoch, t, [0])).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(await wire.addPartitions('t-states', pid + 1n, epoch, t, [0])).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    expect(await wire.addPartitions('t-states', pid, epoch, t, [0])).toEqual([ErrorCode.NONE]);
    expect(await wire.endTxn('t-states', pid, epoch, true)).toBe(ErrorCode.NONE);
    expect(await wire.endTxn('t-states', pid, epoch, true)).toBe(ErrorCode.NONE); // a retried commit
    expect(await wire.endTxn('t-states', pid, epoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(kafka.broker.transactions.describe('t-states')?.state).toBe(TxnState.CompleteCommit);
  });

  it('fails AddPartitionsToTxn as a whole when a partition does not exist', async () => {
    const t = await topic(2);
    const { pid, epoch } = await transactional('t-missing');
    expect(await wire.addPartitions('t-missing', pid, epoch, t, [0, 1, 7])).toEqual([
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(kafka.broker.transactions.describe('t-missing')?.state).toBe(TxnState.Empty);
  });

  it('refuses transactional batches outside the transaction that owns the partition', async () => {
    const t = await topic(2);
    const { pid, epoch } = await transactional('t-verify');
    const batch = idempotentBatch({ producerId: pid, epoch, sequence: 0, values: ['x'], transactional: true });
    expect((await wire.produce(t, 0, batch, { transactionalId: 't-verify' })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    await wire.addPartitions('t-verify', pid, epoch, t, [0]);
    expect((await wire.produce(t, 1, batch, { transactionalId: 't-verify' })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await wire.produce(t, 0, batch, { transactionalId: null })).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await wire.produce(t, 0, batch, { transactionalId: 't-verify' })).errorCode).toBe(ErrorCode.NONE);
    expect(await wire.endTxn('t-verify', pid, epoch, false)).toBe(ErrorCode.NONE);
    expect(kafka.broker.logs.log(t, 0)!.lastStableOffset).toBe(kafka.broker.logs.log(t, 0)!.highWatermark);
  });

  it('answers CONCURRENT_TRANSACTIONS while the markers of the previous EndTxn are being written', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-concurrent');
    await wire.addPartitions('t-concurrent', pid, epoch, t, [0]);
    await wire.produce(t, 0, idempotentBatch({ producerId: pid, epoch, sequence: 0, values: ['v'], transactional: true }), { transactionalId: 't-concurrent' });
    const release = holdCoordinatorAppends(kafka.broker.logs.log(t, 0)!);
    const other = await TxnWire.connect(kafka.port);
    try {
      const ending = wire.endTxn('t-concurrent', pid, epoch, true);
      await new Promise((r) => setTimeout(r, 100));
      expect(await other.addPartitions('t-concurrent', pid, epoch, t, [0])).toEqual([ErrorCode.CONCURRENT_TRANSACTIONS]);
      expect((await other.initProducerId('t-concurrent')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
      expect(await other.endTxn('t-concurrent', pid, epoch, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
      expect(await other.endTxn('t-concurrent', pid, epoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
      release();
      expect(await ending).toBe(ErrorCode.NONE);
      expect(await other.addPartitions('t-concurrent', pid, epoch, t, [0])).toEqual([ErrorCode.NONE]);
    } finally {
      release();
      other.close();
    }
  });

  it('aborts a transaction open past its timeout with a bumped epoch that fences the producer', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-expire', 100);
    await wire.addPartitions('t-expire', pid, epoch, t, [0]);
    const batch = (sequence: number) => idempotentBatch({ producerId: pid, epoch, sequence, values: [`late-${sequence}`], transactional: true });
    await wire.produce(t, 0, batch(0), { transactionalId: 't-expire' });
    expect(await wire.latestOffset(t, 0, 1)).toBe(0n);
    await new Promise((r) => setTimeout(r, 150));
    await kafka.broker.transactions.abortTimedOutTransactions();
    expect(kafka.broker.transactions.describe('t-expire')).toMatchObject({ state: TxnState.CompleteAbort, producerEpoch: epoch + 1 });
    expect(await wire.latestOffset(t, 0, 1)).toBe(2n);
    expect((await wire.produce(t, 0, batch(1), { transactionalId: 't-expire' })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await wire.endTxn('t-expire', pid, epoch, true)).toBe(ErrorCode.PRODUCER_FENCED);
    const p = await wire.fetch(t, 0, 0n, 1);
    expect(p.abortedTransactions).toEqual([{ producerId: pid, firstOffset: 0n }]);
    expect(committedView(p)).toEqual([]);
  });
});

describe('Fetch and ListOffsets with transactions', () => {
  it('bounds read_committed by the last stable offset and lists the aborted transactions; read_uncommitted sees everything', async () => {
    const t = await topic();
    const a = await transactional('t-fetch-a');
    const b = await transactional('t-fetch-b');
    const { producerId: plain } = await wire.initProducerId(null);
    const txnBatch = (p: { pid: bigint; epoch: number }, sequence: number, v: string) =>
      idempotentBatch({ producerId: p.pid, epoch: p.epoch, sequence, values: [v], transactional: true });
    await wire.addPartitions('t-fetch-a', a.pid, a.epoch, t, [0]);
    await wire.addPartitions('t-fetch-b', b.pid, b.epoch, t, [0]);
    await wire.produce(t, 0, idempotentBatch({ producerId: plain, epoch: 0, sequence: 0, values: ['plain-0'] })); // 0
    await wire.produce(t, 0, txnBatch(a, 0, 'a-0'), { transactionalId: 't-fetch-a' }); // 1
    await wire.produce(t, 0, txnBatch(b, 0, 'b-0'), { transactionalId: 't-fetch-b' }); // 2
    await wire.produce(t, 0, idempotentBatch({ producerId: plain, epoch: 0, sequence: 1, values: ['plain-1'] })); // 3
    await wire.produce(t, 0, txnBatch(a, 1, 'a-1'), { transactionalId: 't-fetch-a' }); // 4

    let c = await wire.fetch(t, 0, 0n, 1);
    expect(c).toMatchObject({ highWatermark: 5n, lastStableOffset: 1n, abortedTransactions: [] });
    expect(committedView(c)).toEqual(['plain-0']);
    expect(await wire.latestOffset(t, 0, 1)).toBe(1n);
    expect(await wire.latestOffset(t, 0, 0)).toBe(5n);

    expect(await wire.endTxn('t-fetch-a', a.pid, a.epoch, false)).toBe(ErrorCode.NONE); // marker at 5
    c = await wire.fetch(t, 0, 0n, 1);
    expect(c.lastStableOffset).toBe(2n);
    expect(committedView(c)).toEqual(['plain-0']);
    expect(await wire.endTxn('t-fetch-b', b.pid, b.epoch, true)).toBe(ErrorCode.NONE); // marker at 6
    c = await wire.fetch(t, 0, 0n, 1);
    expect(c).toMatchObject({ highWatermark: 7n, lastStableOffset: 7n, abortedTransactions: [{ producerId: a.pid, firstOffset: 1n }] });
    expect(committedView(c)).toEqual(['plain-0', 'b-0', 'plain-1']);
    // a read starting after the aborted transaction's marker needs no abort list
    expect((await wire.fetch(t, 0, 6n, 1)).abortedTransactions).toEqual([]);

    const u = await wire.fetch(t, 0, 0n, 0);
    expect(u.abortedTransactions).toBeNull();
    expect(u.lastStableOffset).toBe(7n);
    expect(recordsOf(u).map((r) => r.value)).toEqual(['plain-0', 'a-0', 'b-0', 'plain-1', 'a-1', '<marker>', '<marker>']);
    expect(await wire.latestOffset(t, 0, 1)).toBe(7n);
  });
});

describe('TxnOffsetCommit', () => {
  async function committedOffset(groupId: string, t: string): Promise<bigint> {
    const res = await wire.client.send<OffsetFetchResponse>(
      ApiKey.OffsetFetch,
      5,
      createOffsetFetchRequest({ groupId, topics: [{ name: t, partitionIndexes: [0] }] }),
    );
    return res.topics[0].partitions[0].committedOffset;
  }

  it('needs AddOffsetsToTxn first, stays invisible until commit, and is dropped on abort', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-offsets');
    expect(await wire.txnOffsetCommit('t-offsets', pid, epoch, 'g-offsets', t, 0, 5n)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await wire.addOffsets('t-offsets', pid, epoch, 'g-offsets')).toBe(ErrorCode.NONE);
    expect(await wire.txnOffsetCommit('t-offsets', pid, epoch + 1, 'g-offsets', t, 0, 5n)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await wire.txnOffsetCommit('t-offsets', pid, epoch, 'g-offsets', t, 0, 5n)).toBe(ErrorCode.NONE);
    expect(await committedOffset('g-offsets', t)).toBe(-1n);
    expect(await wire.endTxn('t-offsets', pid, epoch, true)).toBe(ErrorCode.NONE);
    expect(await committedOffset('g-offsets', t)).toBe(5n);

    expect(await wire.addOffsets('t-offsets', pid, epoch, 'g-offsets')).toBe(ErrorCode.NONE);
    expect(await wire.txnOffsetCommit('t-offsets', pid, epoch, 'g-offsets', t, 0, 9n)).toBe(ErrorCode.NONE);
    expect(await wire.endTxn('t-offsets', pid, epoch, false)).toBe(ErrorCode.NONE);
    expect(await committedOffset('g-offsets', t)).toBe(5n);
  });

  it('makes OffsetFetch with RequireStable answer UNSTABLE_OFFSET_COMMIT while transactional offsets are pending', async () => {
    const t = await topic();
    const fetchStable = async (requireStable: boolean) => {
      const res = await wire.client.send<OffsetFetchResponse>(
        ApiKey.OffsetFetch,
        7,
        createOffsetFetchRequest({ groupId: 'g-stable', topics: [{ name: t, partitionIndexes: [0] }], requireStable }),
      );
      const p = res.topics[0].partitions[0];
      return [p.errorCode, p.committedOffset];
    };
    const { pid, epoch } = await transactional('t-stable');
    await wire.addOffsets('t-stable', pid, epoch, 'g-stable');
    await wire.txnOffsetCommit('t-stable', pid, epoch, 'g-stable', t, 0, 3n);
    expect(await fetchStable(true)).toEqual([ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
    expect(await fetchStable(false)).toEqual([ErrorCode.NONE, -1n]);
    expect(await wire.endTxn('t-stable', pid, epoch, true)).toBe(ErrorCode.NONE);
    expect(await fetchStable(true)).toEqual([ErrorCode.NONE, 3n]);
  });

  it('checks membership from v3 like OffsetCommit', async () => {
    const t = await topic();
    const { pid, epoch } = await transactional('t-offsets-v3');
    await wire.addOffsets('t-offsets-v3', pid, epoch, 'g-offsets-v3');
    const res = await wire.client.send(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 't-offsets-v3',
      groupId: 'g-offsets-v3',
      producerId: pid,
      producerEpoch: epoch,
      generationId: 4,
      memberId: 'nobody',
      groupInstanceId: null,
      topics: [{ name: t, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(res.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await wire.endTxn('t-offsets-v3', pid, epoch, false)).toBe(ErrorCode.NONE);
  });
});

/** Holds the coordinator's appends (markers) to a partition until released. */
function holdCoordinatorAppends(log: PartitionLog): () => void {
  const original = log.append.bind(log);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  log.append = (records, opts) => (opts?.origin === 'coordinator' ? gate.then(() => original(records, opts)) : original(records, opts));
  return () => {
    log.append = original;
    release();
  };
}
