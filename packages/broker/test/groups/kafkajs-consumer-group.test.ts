// kafkajs 2.2.4 consumer groups against the broker (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3,
// Heartbeat v3, LeaveGroup v3, OffsetCommit v5, OffsetFetch v4, FindCoordinator v2) and its admin client
// (fetchOffsets, resetOffsets, setOffsets, describeGroups, listGroups, deleteGroups, deleteTopics).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { duplicates, kafkajs, startConsumer, waitFor, type Consumed, type RecordingConsumer } from './group-test-support';

jest.setTimeout(60_000);

describe('kafkajs consumer groups', () => {
  let kafka: TestBroker;
  let client: Kafka;
  let admin: Admin;
  let producer: Producer;
  const running: RecordingConsumer[] = [];

  beforeAll(async () => {
    kafka = await createTestBroker();
    client = kafkajs(kafka.bootstrap);
    admin = client.admin();
    await admin.connect();
    producer = client.producer();
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop().catch(() => undefined)));
  });
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await kafka?.close();
  });

  async function topic(name: string, partitions: number): Promise<string> {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }] });
    return name;
  }

  async function produce(topicName: string, prefix: string, count: number): Promise<string[]> {
    const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    await producer.send({ topic: topicName, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    return values;
  }

  async function consumer(groupId: string, topicName: string, name: string, sink: Consumed[]): Promise<RecordingConsumer> {
    const c = await startConsumer(client, { groupId, topic: topicName, name, sink });
    running.push(c);
    return c;
  }

  async function stop(c: RecordingConsumer): Promise<void> {
    running.splice(running.indexOf(c), 1);
    await c.stop();
  }

  async function stableWith(groupId: string, members: number) {
    return waitFor(`${groupId} stable with ${members} members`, async () => {
      const [g] = (await admin.describeGroups([groupId])).groups;
      return g.state === 'Stable' && g.members.length === members ? g : undefined;
    });
  }

  /** Committed offsets equal to the end of every partition (everything consumed was committed). */
  async function fullyCommitted(groupId: string, topicName: string): Promise<void> {
    const ends = await admin.fetchTopicOffsets(topicName);
    await waitFor(`${groupId} committed up to the end of ${topicName}`, async () => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topicName] });
      return t.partitions.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high);
    });
  }

  it('gives each of three members two of six partitions and consumes every record exactly once', async () => {
    const t = await topic('three-members', 6);
    const sink: Consumed[] = [];
    const members = [await consumer('g-three', t, 'a', sink), await consumer('g-three', t, 'b', sink), await consumer('g-three', t, 'c', sink)];
    const described = await stableWith('g-three', 3);
    await waitFor('every member assigned two partitions', () => members.every((m) => (m.assigned()[t] ?? []).length === 2));
    const all = members.flatMap((m) => m.assigned()[t]).sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(described.members.map((m) => m.memberId))).toEqual(new Set(members.map((m) => m.memberId())));

    const values = await produce(t, 'three', 600);
    await waitFor('all 600 records consumed', () => sink.length >= 600);
    await fullyCommitted('g-three', t);
    expect(duplicates(sink)).toEqual([]);
    expect(new Set(sink.map((c) => c.value))).toEqual(new Set(values));
    for (const m of members) {
      const mine = sink.filter((c) => c.member === m.name).map((c) => c.partition);
      expect(new Set(mine)).toEqual(new Set(m.assigned()[t]));
    }
  });

  it('rebalances as members join and leave, leaving no partition unconsumed and no committed record consumed twice', async () => {
    const t = await topic('join-leave', 6);
    const sink: Consumed[] = [];
    const expected: string[] = [];
    const settle = async (n: number, label: string) => {
      await waitFor(`${label}: ${expected.length} records`, () => sink.length >= expected.length);
      await fullyCommitted('g-churn', t);
    };

    const a = await consumer('g-churn', t, 'a', sink);
    await stableWith('g-churn', 1);
    expected.push(...(await produce(t, 'one', 120)));
    await settle(1, 'one member');
    expect(a.assigned()[t].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const b = await consumer('g-churn', t, 'b', sink);
    const c = await consumer('g-churn', t, 'c', sink);
    await stableWith('g-churn', 3);
    await waitFor('three members with two partitions each', () => [a, b, c].every((m) => (m.assigned()[t] ?? []).length === 2));
    expected.push(...(await produce(t, 'three', 120)));
    await settle(3, 'three members');

    await stop(b);
    await stableWith('g-churn', 2);
    await waitFor('two members with three partitions each', () => [a, c].every((m) => (m.assigned()[t] ?? []).length === 3));
    expected.push(...(await produce(t, 'two', 120)));
    await settle(2, 'two members');

    await stop(c);
    await stableWith('g-churn', 1);
    await waitFor('a owns all six partitions again', () => (a.assigned()[t] ?? []).length === 6);
    expected.push(...(await produce(t, 'back-to-one', 120)));
    await settle(1, 'one member again');

    expect(duplicates(sink)).toEqual([]);
    expect(sink.map((x) => x.value).sort()).toEqual([...expected].sort());
    // Every member that was present when a batch was produced consumed part of it.
    expect(new Set(sink.filter((x) => x.value.startsWith('three-')).map((x) => x.member))).toEqual(new Set(['a', 'b', 'c']));
    expect(new Set(sink.filter((x) => x.value.startsWith('two-')).map((x) => x.member))).toEqual(new Set(['a', 'c']));
  });

  it('commits offsets that admin.fetchOffsets reads, and resetOffsets/setOffsets move where the group resumes', async () => {
    const t = await topic('offsets-admin', 2);
    await produce(t, 'first', 20);
    const sink: Consumed[] = [];
    const c = await consumer('g-offsets', t, 'a', sink);
    await waitFor('20 records', () => sink.length >= 20);
    await fullyCommitted('g-offsets', t);
    await stop(c);

    const [fetched] = await admin.fetchOffsets({ groupId: 'g-offsets', topics: [t] });
    const ends = await admin.fetchTopicOffsets(t);
    expect(fetched.partitions.map((p) => p.offset).sort()).toEqual(ends.map((e) => e.high).sort());

    // Reset to the earliest: a new member of the group reads everything again.
    await admin.resetOffsets({ groupId: 'g-offsets', topic: t, earliest: true });
    const again: Consumed[] = [];
    const c2 = await consumer('g-offsets', t, 'b', again);
    await waitFor('20 records again', () => again.length >= 20);
    await fullyCommitted('g-offsets', t);
    await stop(c2);
    expect(again.map((x) => x.value).sort()).toEqual(sink.map((x) => x.value).sort());

    // Set explicit offsets: the group resumes there.
    const p0End = Number(ends.find((e) => e.partition === 0)!.high);
    await admin.setOffsets({ groupId: 'g-offsets', topic: t, partitions: [{ partition: 0, offset: String(p0End - 3) }] });
    const [afterSet] = await admin.fetchOffsets({ groupId: 'g-offsets', topics: [t] });
    expect(afterSet.partitions.find((p) => p.partition === 0)!.offset).toBe(String(p0End - 3));
    const tail: Consumed[] = [];
    const c3 = await consumer('g-offsets', t, 'c', tail);
    await waitFor('the last three records of partition 0', () => tail.length >= 3);
    await fullyCommitted('g-offsets', t);
    await stop(c3);
    expect(tail.map((x) => [x.partition, Number(x.offset)])).toEqual([
      [0, p0End - 3],
      [0, p0End - 2],
      [0, p0End - 1],
    ]);
  });

  it('describes, lists and deletes groups through the admin client', async () => {
    const t = await topic('admin-groups', 3);
    await produce(t, 'x', 9);
    const sink: Consumed[] = [];
    const c = await consumer('g-admin', t, 'a', sink);
    await waitFor('9 records', () => sink.length >= 9);
    const g = await stableWith('g-admin', 1);
    expect(g).toMatchObject({ groupId: 'g-admin', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', errorCode: 0 });
    expect(g.members[0]).toMatchObject({ memberId: c.memberId(), clientId: 'groups-test', clientHost: '/127.0.0.1' });
    expect(g.members[0].memberMetadata.length).toBeGreaterThan(0);
    expect(g.members[0].memberAssignment.length).toBeGreaterThan(0);

    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId: 'g-admin', protocolType: 'consumer' });

    await expect(admin.deleteGroups(['g-admin'])).rejects.toMatchObject({ groups: [expect.objectContaining({ groupId: 'g-admin', errorCode: 68 })] });

    await fullyCommitted('g-admin', t);
    await stop(c);
    const [empty] = (await admin.describeGroups(['g-admin'])).groups;
    expect(empty).toMatchObject({ state: 'Empty', members: [] });

    await expect(admin.deleteGroups(['g-admin'])).resolves.toEqual([expect.objectContaining({ groupId: 'g-admin', errorCode: 0 })]);
    expect((await admin.listGroups()).groups.map((x) => x.groupId)).not.toContain('g-admin');
    const [gone] = await admin.fetchOffsets({ groupId: 'g-admin', topics: [t] });
    expect(gone.partitions.every((p) => p.offset === '-1')).toBe(true);
    const [dead] = (await admin.describeGroups(['g-admin'])).groups;
    expect(dead.state).toBe('Dead');
    await expect(admin.deleteGroups(['g-admin'])).rejects.toMatchObject({ groups: [expect.objectContaining({ errorCode: 69 })] });
  });

  it('drops the committed offsets of a deleted topic', async () => {
    const t = await topic('doomed', 2);
    await produce(t, 'd', 4);
    const sink: Consumed[] = [];
    const c = await consumer('g-doomed', t, 'a', sink);
    await waitFor('4 records', () => sink.length >= 4);
    await fullyCommitted('g-doomed', t);
    await stop(c);
    await admin.deleteTopics({ topics: [t] });
    await waitFor('offsets gone', async () => {
      const offsets = kafka.broker.groups.fetchOffsets('g-doomed', null);
      return offsets.topics.length === 0;
    });
  });
});

describe('kafkajs committed offsets across a broker restart', () => {
  let dataDir: string;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps committed offsets and the group resumes where it left off', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-groups-restart-'));
    let kafka = await createTestBroker({ dataDir, keepData: true });
    let client = kafkajs(kafka.bootstrap);
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 4 }, { topic: 'gone-after-restart', numPartitions: 1 }] });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'durable', acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` })) });
    await producer.send({ topic: 'gone-after-restart', acks: -1, messages: [{ value: 'g' }] });
    const sink: Consumed[] = [];
    const c = await startConsumer(client, { groupId: 'g-durable', topic: 'durable', name: 'a', sink });
    await waitFor('40 records', () => sink.length >= 40);
    const ends = await admin.fetchTopicOffsets('durable');
    await waitFor('all committed', async () => {
      const [t] = await admin.fetchOffsets({ groupId: 'g-durable', topics: ['durable'] });
      return t.partitions.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high);
    });
    await c.stop();
    // A simple (generation -1) commit with metadata, then offsets of a topic deleted before the restart.
    await admin.setOffsets({ groupId: 'g-simple', topic: 'gone-after-restart', partitions: [{ partition: 0, offset: '1' }] });
    await admin.deleteTopics({ topics: ['gone-after-restart'] });
    const before = await admin.fetchOffsets({ groupId: 'g-durable', topics: ['durable'] });
    await producer.disconnect();
    await admin.disconnect();
    await kafka.close();

    kafka = await createTestBroker({ dataDir, keepData: true });
    try {
      client = kafkajs(kafka.bootstrap);
      const admin2 = client.admin();
      await admin2.connect();
      expect(await admin2.fetchOffsets({ groupId: 'g-durable', topics: ['durable'] })).toEqual(before);
      const [g] = (await admin2.describeGroups(['g-durable'])).groups;
      expect(g).toMatchObject({ state: 'Empty', protocolType: 'consumer' });
      expect(kafka.broker.groups.fetchOffsets('g-simple', null).topics).toEqual([]);

      const producer2 = client.producer();
      await producer2.connect();
      await producer2.send({ topic: 'durable', acks: -1, messages: Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `after-${i}` })) });
      const resumed: Consumed[] = [];
      const c2 = await startConsumer(client, { groupId: 'g-durable', topic: 'durable', name: 'b', sink: resumed });
      await waitFor('8 new records', () => resumed.length >= 8);
      await new Promise((r) => setTimeout(r, 300));
      expect(resumed.map((x) => x.value).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `after-${i}`).sort());
      await c2.stop();
      await producer2.disconnect();
      await admin2.disconnect();
    } finally {
      await kafka.close();
    }
  });
});
