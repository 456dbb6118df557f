// Consumer groups of clients built on librdkafka 2.0.x (Debian's kcat and confluent-kafka-python) and of
// kafka-python (npm run compat:install): kcat's balanced consumer (-G), the cooperative-sticky assignor's two-phase
// incremental rebalance, static membership (group.instance.id) surviving a restart without a rebalance, and
// kafka-python's group consumer.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { PYTHON, python, requireProgram, run } from '../compat/programs';

jest.setTimeout(120_000);

// Two cooperative-sticky consumers in one process: a owns everything, b joins, a then leaves. Offsets are committed
// after every batch, so nothing may be consumed twice.
const COOPERATIVE = `
import sys, json, time
from confluent_kafka import Producer, Consumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
N = 600
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
for i in range(N):
    p.produce(topic, key=b'k%d' % i, value=b'v%d' % i)
assert p.flush(20) == 0
events, owned, consumed = [], {}, []
def make(name):
    owned[name] = set()
    def on_assign(c, parts):
        events.append([name, 'assign', sorted(x.partition for x in parts)])
        owned[name] |= {x.partition for x in parts}
    def on_revoke(c, parts):
        events.append([name, 'revoke', sorted(x.partition for x in parts)])
        owned[name] -= {x.partition for x in parts}
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': name,
                  'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 6000,
                  'heartbeat.interval.ms': 100, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c
def poll(name, c):
    msgs = c.consume(num_messages=50, timeout=0.01)
    for m in msgs:
        if m.error(): raise SystemExit(str(m.error()))
        consumed.append([name, m.partition(), m.offset(), m.value().decode()])
    if msgs: c.commit(asynchronous=False)
def until(cond, *members, seconds=30):
    deadline = time.time() + seconds
    while not cond() and time.time() < deadline:
        for name, c in members: poll(name, c)
a = make('a')
until(lambda: len(consumed) >= N // 2, ('a', a))
events.append(['b-starts'])
b = make('b')
until(lambda: len(consumed) >= N and len(owned['a']) == 3 and len(owned['b']) == 3, ('a', a), ('b', b))
both = {k: sorted(v) for k, v in owned.items()}
events.append(['a-leaves'])
a.close()
until(lambda: len(owned['b']) == 6, ('b', b))
after = sorted(owned['b'])
b.close()
print(json.dumps({'events': events, 'consumed': consumed, 'both': both, 'after': after}))
`;

// A static member (group.instance.id) consumes, closes without leaving, and a new process with the same instance
// id takes its place: same partitions, same generation, no rebalance.
const STATIC = `
import sys, json, time
from confluent_kafka import Producer, Consumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
for i in range(20): p.produce(topic, key=b'k%d' % i, value=b'first-%d' % i)
assert p.flush(20) == 0
def member():
    got = {'assigned': None, 'values': []}
    def on_assign(c, parts): got['assigned'] = sorted(x.partition for x in parts)
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'group.instance.id': 'static-1',
                  'session.timeout.ms': 10000, 'heartbeat.interval.ms': 100, 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': False})
    c.subscribe([topic], on_assign=on_assign)
    return c, got
def drain(c, got, n):
    deadline = time.time() + 30
    while len(got['values']) < n and time.time() < deadline:
        msgs = c.consume(num_messages=50, timeout=0.05)
        for m in msgs:
            if m.error(): raise SystemExit(str(m.error()))
            got['values'].append(m.value().decode())
        if msgs: c.commit(asynchronous=False)
c1, first = member()
drain(c1, first, 20)
c1.close()
for i in range(10): p.produce(topic, key=b'k%d' % i, value=b'second-%d' % i)
assert p.flush(20) == 0
start = time.time()
c2, second = member()
drain(c2, second, 10)
elapsed = time.time() - start
c2.close()
print(json.dumps({'first': first, 'second': second, 'elapsed': elapsed}))
`;

// kafka-python: two group members split the partitions, commit, and a later member resumes after the commits.
const KAFKA_PYTHON_GROUP = `
import sys, json
from kafka import KafkaProducer, KafkaConsumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
p = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
for i in range(40): p.send(topic, key=b'k%d' % i, value=b'v%d' % i)
p.flush()
def consume(n):
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                      enable_auto_commit=False, consumer_timeout_ms=3000, session_timeout_ms=6000, heartbeat_interval_ms=200)
    got = []
    for m in c:
        got.append(m.value.decode())
        c.commit()
        if len(got) >= n: break
    assignment = sorted(tp.partition for tp in c.assignment())
    c.close()
    return got, assignment
first, assignment = consume(40)
for i in range(5): p.send(topic, value=b'later%d' % i)
p.flush()
second, _ = consume(5)
print(json.dumps({'first': first, 'assignment': assignment, 'second': second}))
`;

describe('librdkafka and kafka-python consumer groups', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram('kcat');
    requireProgram(PYTHON);
    kafka = await createTestBroker({ config: { 'group.min.session.timeout.ms': '1000' } });
  });
  afterAll(async () => kafka?.close());

  it('kcat -G consumes as a balanced consumer, commits on close, and resumes from the commits', async () => {
    await kafka.broker.logs.createTopic('kcat-group-topic', { partitions: 3 });
    const produce = (from: number, n: number) =>
      run('kcat', ['-b', kafka.bootstrap, '-P', '-t', 'kcat-group-topic', '-K', ':'], { input: Array.from({ length: n }, (_, i) => `k${from + i}:v${from + i}`).join('\n') + '\n' });
    const consume = async () => {
      const out = await run('kcat', ['-b', kafka.bootstrap, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\\n', 'kcat-group-topic']);
      return out.split('\n').filter(Boolean).sort();
    };
    await produce(0, 30);
    expect(await consume()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    const committed = kafka.broker.groups.fetchOffsets('kcat-group', null).topics[0].partitions;
    expect(committed.reduce((n, p) => n + Number(p.offset), 0)).toBe(30);
    expect(kafka.broker.groups.describeGroup('kcat-group')).toMatchObject({ state: 'Empty', protocolType: 'consumer' });
    await produce(30, 5);
    expect(await consume()).toEqual(['v30', 'v31', 'v32', 'v33', 'v34']);
  });

  it('runs the cooperative-sticky two-phase rebalance: only moved partitions are revoked, nothing is consumed twice', async () => {
    await kafka.broker.logs.createTopic('coop-topic', { partitions: 6 });
    const out = JSON.parse(await python(COOPERATIVE, [kafka.bootstrap, 'coop-topic', 'coop-group'], 100_000));
    const events: (string | number[])[][] = out.events;
    const at = (label: string) => events.findIndex((e) => e[0] === label);
    expect(events[0]).toEqual(['a', 'assign', [0, 1, 2, 3, 4, 5]]);
    // Incremental: when b joins, a gives up exactly three partitions and keeps the others throughout.
    const joinPhase = events.slice(at('b-starts'), at('a-leaves'));
    const revokedFromA = joinPhase.filter((e) => e[0] === 'a' && e[1] === 'revoke').flatMap((e) => e[2] as number[]);
    expect(revokedFromA).toHaveLength(3);
    expect(out.both.a).toEqual([0, 1, 2, 3, 4, 5].filter((p) => !revokedFromA.includes(p)));
    expect(out.both.b).toEqual([...revokedFromA].sort());
    // b's first assignment is empty (the partitions are still being revoked); the second round hands them over.
    expect(joinPhase.filter((e) => e[0] === 'b' && e[1] === 'assign').map((e) => e[2])).toEqual([[], [...revokedFromA].sort()]);
    // a leaves: b receives a's partitions incrementally.
    expect(out.after).toEqual([0, 1, 2, 3, 4, 5]);
    const values = out.consumed.map((c: unknown[]) => c[3]);
    expect(values).toHaveLength(600);
    expect(new Set(values).size).toBe(600);
  });

  it('lets a static member (group.instance.id) restart without a rebalance, keeping its partitions and offsets', async () => {
    await kafka.broker.logs.createTopic('static-topic', { partitions: 3 });
    const out = JSON.parse(await python(STATIC, [kafka.bootstrap, 'static-topic', 'static-group'], 100_000));
    expect(out.first.assigned).toEqual([0, 1, 2]);
    expect(out.second.assigned).toEqual([0, 1, 2]);
    expect(out.first.values).toHaveLength(20);
    expect(out.second.values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `second-${i}`).sort());
    const g = kafka.broker.groups.describeGroup('static-group');
    // The closed static member never left: the group is still Stable on its first generation until the session
    // timeout expires it.
    expect(g).toMatchObject({ state: 'Stable', members: [expect.objectContaining({ groupInstanceId: 'static-1' })] });
    expect(kafka.broker.groups.fetchOffsets('static-group', null).topics[0].partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(30);
  });

  it('kafka-python consumes as a group member, commits, and a new member resumes after the commits', async () => {
    await kafka.broker.logs.createTopic('kafka-python-topic', { partitions: 2 });
    const out = JSON.parse(await python(KAFKA_PYTHON_GROUP, [kafka.bootstrap, 'kafka-python-topic', 'kafka-python-group'], 100_000));
    expect(out.assignment).toEqual([0, 1]);
    expect(out.first.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort());
    expect(out.second.sort()).toEqual(['later0', 'later1', 'later2', 'later3', 'later4']);
    expect(kafka.broker.groups.describeGroup('kafka-python-group')).toMatchObject({ state: 'Empty', protocolType: 'consumer' });
  });
});
