// @platformatic/kafka 1.35 (modern, flexible versions only: FindCoordinator v4-6, JoinGroup v6-9, SyncGroup v4-5,
// Heartbeat v4, LeaveGroup v4-5, OffsetCommit/OffsetFetch v8-9, DescribeGroups v5, ListGroups v4-5) against the
// broker: a consumer group consumes what a producer sent and commits, and the admin client reads and edits it.
import { Admin, Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { waitFor } from './group-test-support';

jest.setTimeout(60_000);

describe('@platformatic/kafka consumer groups', () => {
  let kafka: TestBroker;
  let admin: Admin;
  let producer: Producer<string, string, string, string>;
  const consumers: Consumer<string, string, string, string>[] = [];
  const streams = new Map<Consumer<string, string, string, string>, { close(): Promise<void> }>();

  beforeAll(async () => {
    kafka = await createTestBroker();
    const bootstrapBrokers = [kafka.bootstrap];
    admin = new Admin({ clientId: 'pf-admin', bootstrapBrokers });
    producer = new Producer({ clientId: 'pf-producer', bootstrapBrokers, serializers: stringSerializers });
    await admin.createTopics({ topics: ['pf-orders'], partitions: 4 });
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => stop(c).catch(() => undefined)));
  });
  afterAll(async () => {
    await producer?.close();
    await admin?.close();
    await kafka?.close();
  });

  function consumer(groupId: string, clientId: string) {
    const c = new Consumer({
      clientId,
      groupId,
      bootstrapBrokers: [kafka.bootstrap],
      deserializers: stringDeserializers,
      sessionTimeout: 6000,
      heartbeatInterval: 200,
      rebalanceTimeout: 10_000,
      maxWaitTime: 100,
    });
    consumers.push(c);
    return c;
  }

  /** Closes the consumer's stream, then the consumer (which leaves the group). */
  async function stop(c: Consumer<string, string, string, string>): Promise<void> {
    await streams.get(c)?.close();
    streams.delete(c);
    await c.close();
    if (consumers.includes(c)) consumers.splice(consumers.indexOf(c), 1);
  }

  async function consumeInto(c: Consumer<string, string, string, string>, sink: { who: string; partition: number; offset: bigint; value: string }[]) {
    const stream = await c.consume({ topics: ['pf-orders'], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: false });
    stream.on('data', (message) => {
      sink.push({ who: c.clientId, partition: message.partition, offset: message.offset, value: message.value });
      void message.commit();
    });
    stream.on('error', () => undefined);
    streams.set(c, stream);
    return stream;
  }

  it('consumes everything a producer sent, commits it, and a restarted member resumes after the commits', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    await producer.send({ acks: -1, messages: values.map((value, i) => ({ topic: 'pf-orders', key: `k${i % 7}`, value })) });

    const sink: { who: string; partition: number; offset: bigint; value: string }[] = [];
    const a = consumer('pf-group', 'pf-a');
    await consumeInto(a, sink);
    await waitFor('40 records', () => sink.length >= 40);
    expect(sink.map((m) => m.value).sort()).toEqual([...values].sort());

    const ends = new Map<number, bigint>();
    for (const m of sink) if ((ends.get(m.partition) ?? -1n) < m.offset + 1n) ends.set(m.partition, m.offset + 1n);
    await waitFor('offsets committed', async () => {
      const [g] = await admin.listConsumerGroupOffsets({ groups: ['pf-group'] });
      const t = g.topics.find((x) => x.name === 'pf-orders');
      return t !== undefined && [...ends].every(([p, end]) => t.partitions.find((x) => x.partitionIndex === p)?.committedOffset === end);
    });
    await stop(a);

    const more = Array.from({ length: 10 }, (_, i) => `later-${i}`);
    await producer.send({ acks: -1, messages: more.map((value) => ({ topic: 'pf-orders', value })) });
    const resumed: typeof sink = [];
    await consumeInto(consumer('pf-group', 'pf-b'), resumed);
    await waitFor('10 new records', () => resumed.length >= 10);
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.map((m) => m.value).sort()).toEqual([...more].sort());
  });

  it('splits partitions between two members of a group', async () => {
    const sink: { who: string; partition: number; offset: bigint; value: string }[] = [];
    await consumeInto(consumer('pf-pair', 'pf-pair-a'), sink);
    await consumeInto(consumer('pf-pair', 'pf-pair-b'), sink);
    const groups = await waitFor('two stable members', async () => {
      const g = (await admin.describeGroups({ groups: ['pf-pair'] })).get('pf-pair')!;
      return g.state === 'STABLE' && g.members.size === 2 ? g : undefined;
    });
    const owned = [...groups.members.values()].map((m) => m.assignments?.get('pf-orders')?.partitions ?? []);
    expect(owned.flat().sort()).toEqual([0, 1, 2, 3]);
    expect(owned.every((p) => p.length === 2)).toBe(true);
    // Produce only once both clients run on the two-member generation (at-least-once applies during a rebalance),
    // and once fetches the first member planned under its one-member assignment (maxWaitTime 100 ms) have returned:
    // the client still delivers what those bring back.
    const ownedBy = (id: string) => consumers.find((c) => c.clientId === id)!.assignments?.flatMap((a) => a.partitions) ?? [];
    await waitFor('both clients on the new assignment', () => ownedBy('pf-pair-a').length === 2 && ownedBy('pf-pair-b').length === 2);
    await new Promise((r) => setTimeout(r, 500));
    const fresh = Array.from({ length: 40 }, (_, i) => `pair-${i}`);
    await producer.send({ acks: -1, messages: fresh.map((value, i) => ({ topic: 'pf-orders', key: `pair-key-${i}`, value })) });
    const got = () => sink.filter((m) => m.value.startsWith('pair-'));
    await waitFor('the 40 new records', () => got().length >= 40);
    await new Promise((r) => setTimeout(r, 300));
    expect(got().map((m) => m.value).sort()).toEqual([...fresh].sort());
    expect(new Set(got().map((m) => m.who))).toEqual(new Set(['pf-pair-a', 'pf-pair-b']));
    for (const [id, member] of groups.members) {
      const mine = new Set(got().filter((m) => m.who === member.clientId).map((m) => m.partition));
      expect([...mine].every((p) => member.assignments!.get('pf-orders')!.partitions.includes(p))).toBe(true);
      expect(id).toMatch(/^pf-pair-[ab]-/);
    }
  });

  it('lists, describes, edits offsets of and deletes groups with the admin client', async () => {
    const c = consumer('pf-admin-group', 'pf-admin-consumer');
    const sink: { who: string; partition: number; offset: bigint; value: string }[] = [];
    await consumeInto(c, sink);
    const described = await waitFor('stable', async () => {
      const g = (await admin.describeGroups({ groups: ['pf-admin-group'] })).get('pf-admin-group')!;
      return g.state === 'STABLE' ? g : undefined;
    });
    expect(described).toMatchObject({ protocolType: 'consumer', protocol: 'roundrobin' });
    expect([...described.members.values()][0]).toMatchObject({ clientId: 'pf-admin-consumer', clientHost: '/127.0.0.1' });
    const listed = await admin.listGroups({ states: ['STABLE'] });
    expect(listed.get('pf-admin-group')).toMatchObject({ state: 'STABLE', protocolType: 'consumer', groupType: 'classic' });
    await expect(admin.deleteGroups({ groups: ['pf-admin-group'] })).rejects.toThrow();
    await stop(c);

    await admin.alterConsumerGroupOffsets({ groupId: 'pf-admin-group', topics: [{ name: 'pf-orders', partitionOffsets: [{ partition: 0, offset: 1n }] }] });
    const [offsets] = await admin.listConsumerGroupOffsets({ groups: [{ groupId: 'pf-admin-group', topics: [{ name: 'pf-orders', partitionIndexes: [0] }] }] });
    expect(offsets.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 1n });
    await admin.deleteConsumerGroupOffsets({ groupId: 'pf-admin-group', topics: [{ name: 'pf-orders', partitionIndexes: [0] }] });
    const [afterDelete] = await admin.listConsumerGroupOffsets({ groups: ['pf-admin-group'] });
    expect(afterDelete.topics.flatMap((t) => t.partitions).some((p) => p.partitionIndex === 0 && p.committedOffset >= 0n)).toBe(false);

    await admin.deleteGroups({ groups: ['pf-admin-group'] });
    expect((await admin.listGroups()).has('pf-admin-group')).toBe(false);
  });
});
