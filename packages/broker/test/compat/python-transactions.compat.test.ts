// confluent-kafka-python (librdkafka) idempotence and transactions against the broker:
// - an idempotent producer (enable.idempotence) keeps producing while the broker process is killed with SIGKILL
//   and restarted on the same data directory: librdkafka retries the requests it had in flight with their
//   original sequence numbers, the restarted broker (producer state rebuilt from the log) recognises the batches
//   it had already written, and the log ends up with every message exactly once, in order: no duplicates, no gaps;
// - a transactional producer commits one transaction (with send_offsets_to_transaction) and aborts another;
//   read_committed and read_uncommitted consumers see the right records and the group gets the committed offsets.
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestBroker } from '@tributary/broker/testing';
import { freePort, startBrokerProcess, type BrokerProcess } from '../support/broker-process';
import { TxnWire, recordsOf } from '../txn/txn-test-support';
import { PYTHON, python, requireProgram } from './programs';

jest.setTimeout(180_000);

const IDEMPOTENT_PRODUCER = `
import sys, json, time
from confluent_kafka import Producer
bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 2,
              'message.timeout.ms': 120000, 'retry.backoff.ms': 100, 'reconnect.backoff.max.ms': 500,
              'max.in.flight.requests.per.connection': 5})
acked, failed = [], []
def report(err, msg):
    if err: failed.append(str(err))
    else: acked.append(msg.offset())
for i in range(count):
    while True:
        try:
            p.produce(topic, value=b'm-%d' % i, partition=0, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    if i % 50 == 0:
        p.poll(0)
        print('progress %d %d' % (i, len(acked)), flush=True)
        time.sleep(0.01)
left = p.flush(120)
print(json.dumps({'acked': len(acked), 'failed': failed, 'left': left, 'offsets_sorted': acked == sorted(acked)}), flush=True)
`;

const TRANSACTIONS = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, src = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'py-tx', 'transaction.timeout.ms': 60000})
p.init_transactions(30)
group = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-processor', 'enable.auto.commit': False})

p.begin_transaction()
for i in range(10): p.produce(topic, value=b'committed-%d' % i, partition=i % 2)
p.send_offsets_to_transaction([TopicPartition(src, 0, 7)], group.consumer_group_metadata(), 30)
p.commit_transaction(30)

p.begin_transaction()
for i in range(10): p.produce(topic, value=b'aborted-%d' % i, partition=i % 2)
p.flush(30)
p.send_offsets_to_transaction([TopicPartition(src, 0, 99)], group.consumer_group_metadata(), 30)
p.abort_transaction(30)

p.begin_transaction()
for i in range(4): p.produce(topic, value=b'last-%d' % i, partition=i % 2)
p.commit_transaction(30)

def read(isolation):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader-' + isolation, 'isolation.level': isolation,
                  'enable.auto.commit': False, 'enable.partition.eof': True})
    c.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
    seen, eof = [], set()
    while len(eof) < 2:
        m = c.poll(10)
        if m is None: break
        if m.error():
            if m.error().code() == -191: eof.add(m.partition()); continue
            raise SystemExit(str(m.error()))
        seen.append(m.value().decode())
    c.close()
    return sorted(seen)

committed = group.committed([TopicPartition(src, 0)], 10)[0].offset
group.close()
print(json.dumps({'read_committed': read('read_committed'), 'read_uncommitted': read('read_uncommitted'), 'group_offset': committed}))
`;

/** A TCP proxy to the broker that can stop forwarding the broker's bytes (answers are withheld, then dropped). */
class ResponseGate {
  private held = false;
  /** Bytes of answers withheld since hold(). */
  withheld = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(brokerPort: number): Promise<ResponseGate> {
    const port = await freePort();
    // eslint-disable-next-line prefer-const -- assigned once the server listens; the connection handler reads it later
    let gate!: ResponseGate;
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: brokerPort });
      for (const s of [client, upstream]) {
        gate.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          gate.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        if (!gate.held) client.write(d);
        else gate.withheld += d.length;
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    gate = new ResponseGate(server, port);
    return gate;
  }

  hold(): void {
    this.held = true;
  }

  /** Closes every proxied connection (withheld answers are lost) and forwards again for new ones. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.held = false;
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('confluent-kafka-python idempotence and transactions', () => {
  beforeAll(() => requireProgram(PYTHON));

  it('an idempotent producer survives a SIGKILL and restart of the broker with no duplicates and no gaps', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-py-idem-'));
    const port = await freePort();
    // the client talks to the broker through a proxy, which can withhold the broker's answers
    const proxy = await ResponseGate.start(port);
    const overrides = { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` };
    let broker: BrokerProcess | undefined = await startBrokerProcess({ port, dataDir, overrides });
    const count = 3000;
    try {
      const admin = await TxnWire.connect(port);
      await admin.client.send(19, 4, { topics: [{ name: 'py-idem', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const child = spawn(PYTHON, ['-c', IDEMPOTENT_PRODUCER, `127.0.0.1:${proxy.port}`, 'py-idem', String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const progress = () => [...out.matchAll(/progress (\d+) (\d+)/g)].map((m) => Number(m[1])).pop() ?? 0;
      const deadline = Date.now() + 60_000;
      while (progress() < count / 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(progress()).toBeGreaterThanOrEqual(count / 3);

      // From now on the broker appends requests whose answers never reach the client; then it is killed.
      proxy.hold();
      await new Promise((r) => setTimeout(r, 300));
      const endAtKill = await admin.latestOffset('py-idem', 0, 0);
      admin.close();
      await broker.kill('SIGKILL');
      broker = undefined;
      // answers of appended produce requests never reached the client: it will send those batches again
      expect(proxy.withheld).toBeGreaterThan(0);
      proxy.dropConnections();
      expect(endAtKill).toBeGreaterThan(0n);
      await new Promise((r) => setTimeout(r, 500));
      broker = await startBrokerProcess({ port, dataDir, overrides });

      expect(await exited).toBe(0);
      const result = JSON.parse(out.trim().split('\n').pop()!);
      expect({ ...result, stderr: result.failed.length ? err : '' }).toMatchObject({ acked: count, failed: [], left: 0, offsets_sorted: true });
      const wire = await TxnWire.connect(port);
      const values: string[] = [];
      for (let offset = 0n; ; ) {
        const recs = recordsOf(await wire.fetch('py-idem', 0, offset, 0));
        if (recs.length === 0) break;
        for (const r of recs) if (r.offset >= offset) values.push(r.value);
        offset = recs[recs.length - 1].offset + 1n;
      }
      wire.close();
      expect(values.length).toBe(count);
      expect(values).toEqual(Array.from({ length: count }, (_, i) => `m-${i}`));
    } finally {
      await broker?.kill('SIGTERM');
      await proxy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('commits one transaction and aborts another: read_committed and read_uncommitted consumers and the group offsets agree', async () => {
    const kafka = await createTestBroker({ config: { 'transaction.state.log.num.partitions': '5', 'offsets.topic.num.partitions': '5' } });
    try {
      await kafka.broker.logs.createTopic('py-txn', { partitions: 2 });
      await kafka.broker.logs.createTopic('py-src', { partitions: 1 });
      const out = JSON.parse(await python(TRANSACTIONS, [kafka.bootstrap, 'py-txn', 'py-src'], 120_000));
      const committed = [...Array.from({ length: 10 }, (_, i) => `committed-${i}`), ...Array.from({ length: 4 }, (_, i) => `last-${i}`)].sort();
      const aborted = Array.from({ length: 10 }, (_, i) => `aborted-${i}`);
      expect(out.read_committed).toEqual(committed);
      expect(out.read_uncommitted).toEqual([...committed, ...aborted].sort());
      expect(out.group_offset).toBe(7);
    } finally {
      await kafka.close();
    }
  });
});
