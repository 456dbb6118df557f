// @platformatic/kafka (1.35, a modern-only client: InitProducerId v5, AddPartitionsToTxn v3, EndTxn v4,
// FindCoordinator v6 with key type 1, Produce v11, all flexible) as idempotent and transactional producer. It is
// ESM-only, so it runs in a child process (support/platformatic-txn-child.mts); the partition is read back here.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { TxnWire, committedView, recordsOf } from './txn-test-support';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../../..');
const CHILD = path.join(__dirname, 'support/platformatic-txn-child.mts');

let kafka: TestBroker;
const seen: string[] = [];

beforeAll(async () => {
  kafka = await createTestBroker({ logLevel: 'error', config: { 'transaction.state.log.num.partitions': '3' } });
  for (const h of kafka.broker.registry.list()) {
    kafka.broker.intercept(h.api.apiKey, (_req, ctx, next) => {
      seen.push(`${h.api.name} v${ctx.apiVersion}`);
      return next();
    });
  }
});
afterAll(async () => kafka.close());

function child(topic: string): Promise<{ offsets: string[]; idempotentInfo: { producerId: string; epoch: number }; txnInfo: { producerId: string; epoch: number } }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, kafka.bootstrap, topic], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 50_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`platformatic child exited with ${code}:\n${err}\n${out}`));
    });
  });
}

it('produces idempotently and commits and aborts transactions; read_committed and read_uncommitted fetches agree', async () => {
  await kafka.broker.logs.createTopic('platformatic-txn', { partitions: 2 });
  const result = await child('platformatic-txn');
  expect(result.offsets).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  expect(result.idempotentInfo.epoch).toBe(0);
  expect(['InitProducerId v5', 'AddPartitionsToTxn v3', 'EndTxn v4', 'FindCoordinator v6'].every((s) => seen.includes(s))).toBe(true);

  const wire = await TxnWire.connect(kafka.port);
  try {
    const idem = recordsOf(await wire.fetch('platformatic-txn', 0, 0n, 0, 12));
    expect(idem.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `idem-${i}`));
    expect(new Set(idem.map((r) => r.producerId.toString()))).toEqual(new Set([result.idempotentInfo.producerId]));
    const committed = await wire.fetch('platformatic-txn', 1, 0n, 1, 12);
    expect(committedView(committed)).toEqual(['first-0', 'first-1', 'first-2', 'second-0', 'second-1', 'second-2']);
    expect(committed.abortedTransactions).toEqual([{ producerId: BigInt(result.txnInfo.producerId), firstOffset: 4n }]);
    const all = recordsOf(await wire.fetch('platformatic-txn', 1, 0n, 0, 12)).filter((r) => !r.control);
    expect(all.map((r) => r.value)).toEqual(['first-0', 'first-1', 'first-2', 'aborted-0', 'aborted-1', 'aborted-2', 'second-0', 'second-1', 'second-2']);
  } finally {
    wire.close();
  }
});
