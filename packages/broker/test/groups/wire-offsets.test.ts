// OffsetCommit / OffsetFetch / OffsetDelete / DescribeGroups / ListGroups / DeleteGroups / FindCoordinator at exact
// wire versions: simple and member commits, metadata round trips and limits, all-partition and multi-group fetches.
import { ApiKey } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { WireClient } from '../support/wire-client';
import { subscription } from './group-test-support';
import { WireMember, commitBody, commitErrors } from './wire-helpers';

jest.setTimeout(30_000);

describe('offsets and group admin on the wire', () => {
  let kafka: TestBroker;
  let client: WireClient;
  const open: WireMember[] = [];

  beforeAll(async () => {
    kafka = await createTestBroker();
    await kafka.broker.logs.createTopic('orders', { partitions: 3 });
    await kafka.broker.logs.createTopic('audit', { partitions: 1 });
    client = await WireClient.connect(kafka.port);
  });
  afterEach(() => open.splice(0).forEach((m) => m.close()));
  afterAll(async () => {
    client?.close();
    await kafka?.close();
  });

  async function member(groupId: string): Promise<WireMember> {
    const m = await WireMember.connect(kafka.port, groupId);
    open.push(m);
    return m;
  }

  const fetchV4 = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) =>
    client.send(ApiKey.OffsetFetch, 4, { groupId, topics, groups: [], requireStable: false });

  it('takes simple commits (generation -1) for a group without members, and round-trips metadata and leader epochs', async () => {
    const r = await client.send(
      ApiKey.OffsetCommit,
      8,
      commitBody('simple', {
        topics: {
          orders: [
            { partition: 0, offset: 10n, metadata: 'checkpoint-a', leaderEpoch: 3 },
            { partition: 1, offset: 20n, metadata: null },
            { partition: 7, offset: 1n },
          ],
          missing: [{ partition: 0, offset: 1n }],
        },
      }),
    );
    expect(commitErrors(r)).toEqual({ 'orders/0': 0, 'orders/1': 0, 'orders/7': 3, 'missing/0': 3 });
    const f = await client.send(ApiKey.OffsetFetch, 7, { groupId: 'simple', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }], groups: [], requireStable: true });
    expect(f.errorCode).toBe(0);
    expect(f.topics[0].partitions).toEqual([
      { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 3, metadata: 'checkpoint-a', errorCode: 0 },
      { partitionIndex: 1, committedOffset: 20n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
  });

  it('commits at v0 and v1 (v1 honours a commit timestamp) and fetches at v0/v1', async () => {
    const v0 = await client.send(ApiKey.OffsetCommit, 0, commitBody('legacy', { topics: { orders: [{ partition: 2, offset: 5n, metadata: 'v0' }] } }));
    expect(commitErrors(v0)).toEqual({ 'orders/2': 0 });
    const v1body = commitBody('legacy', { topics: { audit: [{ partition: 0, offset: 9n }] } });
    v1body.topics[0].partitions[0].commitTimestamp = 1234n;
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 1, v1body))).toEqual({ 'audit/0': 0 });
    const f0 = await client.send(ApiKey.OffsetFetch, 0, { groupId: 'legacy', topics: [{ name: 'orders', partitionIndexes: [2] }], groups: [], requireStable: false });
    expect(f0.topics[0].partitions[0]).toMatchObject({ committedOffset: 5n, metadata: 'v0', errorCode: 0 });
    const f1 = await client.send(ApiKey.OffsetFetch, 1, { groupId: 'legacy', topics: [{ name: 'audit', partitionIndexes: [0] }], groups: [], requireStable: false });
    expect(f1.topics[0].partitions[0].committedOffset).toBe(9n);
  });

  it('rejects metadata longer than offset.metadata.max.bytes per partition with OFFSET_METADATA_TOO_LARGE', async () => {
    const r = await client.send(
      ApiKey.OffsetCommit,
      5,
      commitBody('big-metadata', { topics: { orders: [{ partition: 0, offset: 1n, metadata: 'x'.repeat(4097) }, { partition: 1, offset: 2n, metadata: 'y'.repeat(4096) }] } }),
    );
    expect(commitErrors(r)).toEqual({ 'orders/0': 12, 'orders/1': 0 });
    const f = await fetchV4('big-metadata', [{ name: 'orders', partitionIndexes: [0, 1] }]);
    expect(f.topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([-1n, 2n]);
  });

  it('checks member commits: generation, member id, CompletingRebalance, and simple commits to a group with members', async () => {
    const m = await member('members-commit');
    await m.joinFully();
    const body = (generationId: number, memberId: string) => commitBody('members-commit', { generationId, memberId, topics: { orders: [{ partition: 0, offset: 3n }] } });
    // Joined but not synced: the group is CompletingRebalance.
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 5, body(m.generationId, m.memberId)))).toEqual({ 'orders/0': 27 });
    await m.sync({ [m.memberId]: subscription('orders') });
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 5, body(m.generationId, m.memberId)))).toEqual({ 'orders/0': 0 });
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 5, body(m.generationId + 1, m.memberId)))).toEqual({ 'orders/0': 22 });
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 5, body(m.generationId, 'stranger')))).toEqual({ 'orders/0': 25 });
    expect(commitErrors(await client.send(ApiKey.OffsetCommit, 5, body(-1, '')))).toEqual({ 'orders/0': 25 });
    // A member commit to a group that does not exist: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND from v9.
    const ghost = (v: number) => client.send(ApiKey.OffsetCommit, v, commitBody('no-such-group', { generationId: 1, memberId: 'm', topics: { orders: [{ partition: 0, offset: 1n }] } }));
    expect(commitErrors(await ghost(8))).toEqual({ 'orders/0': 22 });
    expect(commitErrors(await ghost(9))).toEqual({ 'orders/0': 69 });
    expect(kafka.broker.groups.describeGroup('no-such-group').state).toBe('Dead');
  });

  it('fetches all committed partitions (topics null, v2+) and several groups at once (v8+)', async () => {
    await client.send(ApiKey.OffsetCommit, 8, commitBody('all-a', { topics: { orders: [{ partition: 2, offset: 7n }, { partition: 0, offset: 4n }], audit: [{ partition: 0, offset: 1n, metadata: 'm' }] } }));
    await client.send(ApiKey.OffsetCommit, 8, commitBody('all-b', { topics: { audit: [{ partition: 0, offset: 2n }] } }));
    const all = await fetchV4('all-a', null);
    const byTopic = Object.fromEntries(all.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.committedOffset])]));
    expect(byTopic).toEqual({ orders: [[0, 4n], [2, 7n]], audit: [[0, 1n]] });
    expect((await fetchV4('never-committed', null)).topics).toEqual([]);

    const multi = await client.send(ApiKey.OffsetFetch, 9, {
      groupId: '',
      topics: null,
      requireStable: false,
      groups: [
        { groupId: 'all-a', memberId: null, memberEpoch: -1, topics: [{ name: 'audit', partitionIndexes: [0] }] },
        { groupId: 'all-b', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [1] }] },
      ],
    });
    expect(multi.groups).toEqual([
      { groupId: 'all-a', errorCode: 0, topics: [{ name: 'audit', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 }] }] },
      { groupId: 'all-b', errorCode: 0, topics: [{ name: 'audit', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }] },
      { groupId: 'nobody', errorCode: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }] },
    ]);
  });

  it('deletes offsets with OffsetDelete, refusing topics an active consumer subscribes to', async () => {
    await client.send(ApiKey.OffsetCommit, 8, commitBody('od', { topics: { orders: [{ partition: 0, offset: 1n }, { partition: 1, offset: 1n }], audit: [{ partition: 0, offset: 1n }] } }));
    const m = await member('od');
    await m.joinFully({ protocols: [{ name: 'range', metadata: subscription('orders') }] });
    await m.sync({});
    const del = (topics: { name: string; partitions: { partitionIndex: number }[] }[], groupId = 'od') => client.send(ApiKey.OffsetDelete, 0, { groupId, topics });
    const r = await del([
      { name: 'orders', partitions: [{ partitionIndex: 0 }] },
      { name: 'audit', partitions: [{ partitionIndex: 0 }] },
      { name: 'missing', partitions: [{ partitionIndex: 0 }] },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['orders', 86],
      ['audit', 0],
      ['missing', 3],
    ]);
    const left = await fetchV4('od', null);
    expect(left.topics.map((t: any) => t.name)).toEqual(['orders']);
    expect((await del([{ name: 'audit', partitions: [{ partitionIndex: 0 }] }], 'ghost-group')).errorCode).toBe(69);

    // A group with members that does not use the consumer protocol: its subscriptions cannot be read.
    const other = await member('od-connect');
    await other.joinFully({ protocolType: 'connect', protocols: [{ name: 'default', metadata: Buffer.from('w') }] });
    await other.sync({});
    expect((await del([{ name: 'audit', partitions: [{ partitionIndex: 0 }] }], 'od-connect')).errorCode).toBe(68);
    // Once the consumer leaves, its topics can be deleted too.
    await m.leave();
    const after = await del([{ name: 'orders', partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }]);
    expect(after.topics[0].partitions.map((p: any) => p.errorCode)).toEqual([0, 0]);
    expect((await fetchV4('od', null)).topics).toEqual([]);
  });

  it('describes groups at v0-v5 with state, protocol, members, instance ids (v4+) and authorized operations (v3+)', async () => {
    const m = await member('described');
    await m.joinFully({ version: 5, groupInstanceId: null, protocols: [{ name: 'range', metadata: subscription('orders') }] });
    const preparing = await client.send(ApiKey.DescribeGroups, 0, { groups: ['described'], includeAuthorizedOperations: false });
    expect(preparing.groups[0]).toMatchObject({ groupState: 'CompletingRebalance', protocolData: '' });
    expect(preparing.groups[0].members[0].memberMetadata).toEqual(Buffer.alloc(0));
    await m.sync({ [m.memberId]: Buffer.from('assigned') });
    for (const version of [0, 3, 5]) {
      const d = await client.send(ApiKey.DescribeGroups, version, { groups: ['described', 'nope'], includeAuthorizedOperations: true });
      expect(d.groups[0]).toMatchObject({ errorCode: 0, groupId: 'described', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(d.groups[0].members).toEqual([
        {
          memberId: m.memberId,
          groupInstanceId: null,
          clientId: 'wire-test',
          clientHost: '/127.0.0.1',
          memberMetadata: subscription('orders'),
          memberAssignment: Buffer.from('assigned'),
        },
      ]);
      expect(d.groups[1]).toMatchObject({ errorCode: 0, groupId: 'nope', groupState: 'Dead', protocolType: '', members: [] });
      if (version >= 3) expect(d.groups[0].authorizedOperations).toBeGreaterThan(0);
    }
  });

  it('lists groups with their state (v4 states filter) and type (v5 types filter)', async () => {
    const m = await member('listed-stable');
    await m.joinFully();
    await m.sync({});
    await client.send(ApiKey.OffsetCommit, 8, commitBody('listed-simple', { topics: { audit: [{ partition: 0, offset: 1n }] } }));
    const v0 = await client.send(ApiKey.ListGroups, 0, { statesFilter: [], typesFilter: [] });
    expect(v0.groups).toEqual(expect.arrayContaining([expect.objectContaining({ groupId: 'listed-stable', protocolType: 'consumer' }), expect.objectContaining({ groupId: 'listed-simple', protocolType: '' })]));
    const stable = await client.send(ApiKey.ListGroups, 4, { statesFilter: ['Stable'], typesFilter: [] });
    expect(stable.groups.map((g: any) => g.groupId)).toContain('listed-stable');
    expect(stable.groups.map((g: any) => g.groupId)).not.toContain('listed-simple');
    expect(stable.groups.every((g: any) => g.groupState === 'Stable')).toBe(true);
    const empty = await client.send(ApiKey.ListGroups, 5, { statesFilter: ['empty'], typesFilter: ['classic'] });
    expect(empty.groups).toContainEqual({ groupId: 'listed-simple', protocolType: '', groupState: 'Empty', groupType: 'classic' });
    expect((await client.send(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups).toEqual([]);
  });

  it('deletes only empty groups (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND) and their offsets', async () => {
    const m = await member('del-busy');
    await m.joinFully();
    await m.sync({});
    await client.send(ApiKey.OffsetCommit, 8, commitBody('del-idle', { topics: { audit: [{ partition: 0, offset: 5n }] } }));
    const r = await client.send(ApiKey.DeleteGroups, 2, { groupsNames: ['del-busy', 'del-idle', 'del-never'] });
    expect(r.results).toEqual([
      { groupId: 'del-busy', errorCode: 68 },
      { groupId: 'del-idle', errorCode: 0 },
      { groupId: 'del-never', errorCode: 69 },
    ]);
    expect((await fetchV4('del-idle', null)).topics).toEqual([]);
    expect((await client.send(ApiKey.DeleteGroups, 0, { groupsNames: ['del-idle'] })).results[0].errorCode).toBe(69);
  });

  it('finds this broker as the coordinator of groups and transactional ids, single (v0-3) and batched (v4-6)', async () => {
    const { port } = kafka;
    for (const version of [0, 1, 2, 3]) {
      const r = await client.send(ApiKey.FindCoordinator, version, { key: 'any-group', keyType: 0, coordinatorKeys: [] });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port });
    }
    const txn = await client.send(ApiKey.FindCoordinator, 3, { key: 'txn-1', keyType: 1, coordinatorKeys: [] });
    expect(txn).toMatchObject({ errorCode: 0, nodeId: 1, port });
    const bad = await client.send(ApiKey.FindCoordinator, 2, { key: 'x', keyType: 7, coordinatorKeys: [] });
    expect(bad).toMatchObject({ errorCode: 42, nodeId: -1 });
    for (const version of [4, 6]) {
      const r = await client.send(ApiKey.FindCoordinator, version, { key: '', keyType: 0, coordinatorKeys: ['g1', 'g2'] });
      expect(r.coordinators).toEqual([
        { key: 'g1', nodeId: 1, host: '127.0.0.1', port, errorCode: 0, errorMessage: null },
        { key: 'g2', nodeId: 1, host: '127.0.0.1', port, errorCode: 0, errorMessage: null },
      ]);
    }
    expect(kafka.broker.logs.topic('__consumer_offsets')?.partitions).toBe(50);
  });
});
