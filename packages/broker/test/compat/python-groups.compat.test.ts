// Consumer groups with librdkafka (confluent-kafka-python) and kafka-python against the broker's coordinator.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { PYTHON, python, requireProgram } from './programs';

jest.setTimeout(180_000);

// Three members in one group consume a 6-partition topic; after the first 300 records one member leaves,
// 300 more are produced and the remaining two consume them. Commits are synchronous per record. A commit racing a
// rebalance may fail (ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS, as on Kafka); only records after the last
// successful commit of a partition can then be delivered again, so duplicates never exceed failed commits.
const GROUP_REBALANCE = `
import sys, json, time
from confluent_kafka import Producer, Consumer, KafkaException
bootstrap, topic, group, strategy = sys.argv[1:5]
def produce(start, n):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
    for i in range(start, start + n):
        p.produce(topic, key=b'k%d' % i, value=b'v%d' % i, partition=i % 6)
    assert p.flush(20) == 0
assignments = {}
def consumer(i):
    def on_assign(c, parts):
        assignments.setdefault(i, []).append(sorted(p.partition for p in parts))
        if strategy == 'cooperative-sticky':
            c.incremental_assign(parts)
    def on_revoke(c, parts):
        if strategy == 'cooperative-sticky':
            c.incremental_unassign(parts)
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'partition.assignment.strategy': strategy,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'session.timeout.ms': 6000,
                  'heartbeat.interval.ms': 300})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c
seen = {}
dups = 0
failed_commits = []
def drain(consumers, until, deadline):
    global dups
    while len(seen) < until and time.time() < deadline:
        for i, c in consumers.items():
            m = c.poll(0.05)
            if m is None or m.error(): continue
            k = m.key().decode()
            if k in seen: dups += 1
            seen[k] = i
            try:
                c.commit(message=m, asynchronous=False)
            except KafkaException as e:
                failed_commits.append(e.args[0].name())
produce(0, 300)
consumers = {i: consumer(i) for i in range(3)}
drain(consumers, 300, time.time() + 60)
phase1 = {i: sum(1 for v in seen.values() if v == i) for i in range(3)}
consumers.pop(0).close()
produce(300, 300)
drain(consumers, 600, time.time() + 60)
for c in consumers.values(): c.close()
print(json.dumps({'seen': len(seen), 'dups': dups, 'failed_commits': failed_commits, 'phase1': phase1, 'assignments': assignments}))
`;

const KAFKA_PYTHON_GROUP = `
import sys, json
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
bootstrap, topic = sys.argv[1:3]
p = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
for i in range(90): p.send(topic, key=b'%d' % i, value=b'x', partition=i % 3)
p.flush()
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id='kp-group', auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=4000)
n = sum(1 for _ in c)
c.commit()
a = KafkaAdminClient(bootstrap_servers=bootstrap)
groups = [g[0] for g in a.list_consumer_groups()]
described = a.describe_consumer_groups(['kp-group'])[0]
committed = a.list_consumer_group_offsets('kp-group')
end = c.end_offsets([TopicPartition(topic, i) for i in range(3)])
lag = {tp.partition: end[tp] - committed[tp].offset for tp in committed}
state_while_member = described.state
c.close()
after_leave = a.describe_consumer_groups(['kp-group'])[0].state
print(json.dumps({'consumed': n, 'groups': groups, 'state': state_while_member, 'protocol_type': described.protocol_type,
                  'members': len(described.members), 'lag': lag, 'after_leave': after_leave}))
`;

describe('Python consumer groups', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram(PYTHON);
    kafka = await createTestBroker({ config: { 'num.partitions': '6' } });
  });
  afterAll(async () => kafka?.close());

  it.each(['range', 'roundrobin', 'cooperative-sticky'])(
    'confluent-kafka-python group with the %s assignor: three members share six partitions, one leaves, nothing is missed or consumed twice',
    async (strategy) => {
      const out = JSON.parse(await python(GROUP_REBALANCE, [kafka.bootstrap, `grp-${strategy}`, `g-${strategy}`, strategy], 120_000));
      expect(out.seen).toBe(600);
      expect(out.dups).toBeLessThanOrEqual(out.failed_commits.length);
      for (const f of out.failed_commits) expect(['ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID']).toContain(f);
      // Every member of the first generation got partitions and consumed records.
      for (const i of ['0', '1', '2']) expect(out.phase1[i]).toBeGreaterThan(0);
      // After member 0 left, members 1 and 2 own all six partitions between them.
      const latest = (i: string) => out.assignments[i][out.assignments[i].length - 1] as number[];
      if (strategy !== 'cooperative-sticky') expect([...latest('1'), ...latest('2')].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    },
  );

  it('kafka-python consumes in a group and its admin lists and describes the group with zero lag', async () => {
    await kafka.broker.logs.createTopic('kp-group-topic', { partitions: 3 });
    const out = JSON.parse(await python(KAFKA_PYTHON_GROUP, [kafka.bootstrap, 'kp-group-topic'], 60_000));
    expect(out.consumed).toBe(90);
    expect(out.groups).toContain('kp-group');
    expect(out.state).toBe('Stable');
    expect(out.protocol_type).toBe('consumer');
    expect(out.members).toBe(1);
    expect(out.lag).toEqual({ 0: 0, 1: 0, 2: 0 });
    expect(out.after_leave).toBe('Empty');
  });
});
