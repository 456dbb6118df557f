// JoinGroup / SyncGroup / Heartbeat / LeaveGroup at exact wire versions, including the inputs real clients
// rarely send: stale generations, wrong protocols, unknown member ids, oversized metadata. Every case must end in
// a Kafka error code in the response, never in a closed connection or a stuck coordinator.
import { ApiKey } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { WireClient } from '../support/wire-client';
import { WireMember, sleep } from './wire-helpers';

jest.setTimeout(30_000);

const MEMBER_ID = /^wire-test-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('group membership on the wire', () => {
  let kafka: TestBroker;
  const open: WireMember[] = [];
  let groupSeq = 0;

  beforeAll(async () => {
    kafka = await createTestBroker({ config: { 'group.min.session.timeout.ms': '100' } });
  });
  afterEach(() => open.splice(0).forEach((m) => m.close()));
  afterAll(async () => kafka?.close());

  async function member(groupId: string, instanceId: string | null = null): Promise<WireMember> {
    const m = await WireMember.connect(kafka.port, groupId, instanceId);
    open.push(m);
    return m;
  }
  const nextGroup = (name: string) => `${name}-${++groupSeq}`;

  it('answers MEMBER_ID_REQUIRED with a generated <clientId>-<uuid> at JoinGroup v4+, then admits the member', async () => {
    for (const version of [4, 6, 9]) {
      const m = await member(nextGroup('member-id'));
      const first = await m.join({ version });
      expect(first).toMatchObject({ errorCode: 79, generationId: -1, leader: '', members: [] });
      expect(first.memberId).toMatch(MEMBER_ID);
      const second = await m.join({ version, memberId: first.memberId });
      expect(second).toMatchObject({ errorCode: 0, generationId: 1, memberId: first.memberId, leader: first.memberId, protocolName: 'range', skipAssignment: false });
      expect(second.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: Buffer.from('m') }]);
      if (version >= 7) expect(second.protocolType).toBe('consumer');
    }
  });

  it('admits a member without an id at once below v4 (v0 uses the session timeout as rebalance timeout)', async () => {
    for (const version of [0, 1, 3]) {
      const m = await member(nextGroup('old-join'));
      const r = await m.join({ version });
      expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
      expect(r.memberId).toMatch(MEMBER_ID);
      expect((await m.sync({ [m.memberId]: Buffer.from('a') }, { version: 0 })).assignment).toEqual(Buffer.from('a'));
    }
  });

  it('rejects a session timeout outside group.min/max.session.timeout.ms with INVALID_SESSION_TIMEOUT', async () => {
    const m = await member(nextGroup('session'));
    expect((await m.join({ sessionTimeoutMs: 50 })).errorCode).toBe(26);
    expect((await m.join({ sessionTimeoutMs: 1_800_001 })).errorCode).toBe(26);
    expect((await m.join({ version: 9, groupInstanceId: null, sessionTimeoutMs: 10 })).errorCode).toBe(26);
  });

  it('answers stale generations with ILLEGAL_GENERATION (SyncGroup, Heartbeat, OffsetCommit)', async () => {
    const groupId = nextGroup('stale');
    const a = await member(groupId);
    await a.joinFully();
    await a.sync({ [a.memberId]: Buffer.from('x') });
    expect((await a.sync({}, { generationId: 0 })).errorCode).toBe(22);
    expect((await a.sync({}, { generationId: 7 })).errorCode).toBe(22);
    expect(await a.heartbeat({ generationId: 0 })).toBe(22);
    const commit = await a.client.send(ApiKey.OffsetCommit, 5, {
      groupId,
      generationIdOrMemberEpoch: 0,
      memberId: a.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [],
    });
    expect(commit.topics).toEqual([]);
    expect(await a.heartbeat()).toBe(0);
  });

  it('answers a different protocol type, or protocols the group does not share, with INCONSISTENT_GROUP_PROTOCOL', async () => {
    const groupId = nextGroup('protocols');
    const a = await member(groupId);
    await a.joinFully({ protocols: [{ name: 'range', metadata: Buffer.from('a') }] });
    await a.sync({ [a.memberId]: Buffer.from('x') });

    const b = await member(groupId);
    expect((await b.joinFully({ protocolType: 'connect' })).errorCode).toBe(23);
    expect((await b.joinFully({ protocols: [{ name: 'roundrobin', metadata: Buffer.from('b') }] })).errorCode).toBe(23);
    const empty = await member(nextGroup('no-protocols'));
    expect((await empty.joinFully({ protocols: [] })).errorCode).toBe(23);
    expect((await empty.joinFully({ protocolType: '' })).errorCode).toBe(23);
    // SyncGroup v5 checks the protocol type and name it is told.
    expect((await a.sync({}, { version: 5, protocolType: 'connect', protocolName: 'range' })).errorCode).toBe(23);
    expect((await a.sync({}, { version: 5, protocolType: 'consumer', protocolName: 'roundrobin' })).errorCode).toBe(23);
    const ok = await a.sync({}, { version: 5, protocolType: 'consumer', protocolName: 'range' });
    expect(ok).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('x') });
    expect(await a.heartbeat()).toBe(0);
  });

  it('answers unknown member ids with UNKNOWN_MEMBER_ID in every group API', async () => {
    const groupId = nextGroup('unknown');
    const ghost = await member(groupId);
    expect((await ghost.join({ memberId: 'nobody' })).errorCode).toBe(25); // the group does not even exist
    const a = await member(groupId);
    await a.joinFully();
    await a.sync({ [a.memberId]: Buffer.from('x') });
    ghost.memberId = 'nobody';
    ghost.generationId = a.generationId;
    expect((await ghost.join({ memberId: 'nobody' })).errorCode).toBe(25);
    expect((await ghost.sync()).errorCode).toBe(25);
    expect(await ghost.heartbeat()).toBe(25);
    const left = await ghost.leave();
    expect(left).toMatchObject({ errorCode: 0, members: [{ memberId: 'nobody', groupInstanceId: null, errorCode: 25 }] });
    expect((await ghost.leave(0)).errorCode).toBe(25);
    expect(await a.heartbeat()).toBe(0);
  });

  it('answers an empty group id with INVALID_GROUP_ID', async () => {
    const m = await member('');
    expect((await m.join()).errorCode).toBe(24);
    expect((await m.sync()).errorCode).toBe(24);
    expect(await m.heartbeat()).toBe(24);
  });

  it('returns an empty assignment at flexible SyncGroup versions too', async () => {
    const groupId = nextGroup('flexible-sync');
    const a = await member(groupId);
    await a.joinFully({ version: 9 });
    const r = await a.sync({}, { version: 5, protocolType: 'consumer', protocolName: 'range' });
    expect(r).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(r.assignment).toEqual(Buffer.alloc(0));
  });

  it('tells members to rejoin with REBALANCE_IN_PROGRESS when a member joins a stable group', async () => {
    const groupId = nextGroup('rejoin');
    const a = await member(groupId);
    await a.joinFully();
    await a.sync({ [a.memberId]: Buffer.from('all') });
    const b = await member(groupId);
    const bJoin = b.joinFully();
    await sleep(50);
    expect(await a.heartbeat()).toBe(27);
    expect((await a.sync()).errorCode).toBe(27);
    const [aJoin, bJoined] = await Promise.all([a.join(), bJoin]);
    expect(aJoin.generationId).toBe(2);
    expect(bJoined.generationId).toBe(2);
    expect(aJoin.leader).toBe(a.memberId);
    expect(aJoin.members).toHaveLength(2);
  });

  it('removes a member whose session expires and rebalances the rest', async () => {
    const groupId = nextGroup('expiry');
    const a = await member(groupId);
    const b = await member(groupId);
    await Promise.all([a.joinFully({ sessionTimeoutMs: 300 }), b.joinFully({ sessionTimeoutMs: 300 })]);
    await Promise.all([a.sync({ [a.memberId]: Buffer.from('a'), [b.memberId]: Buffer.from('b') }), b.sync()]);
    const generation = a.generationId;
    // a keeps heartbeating; b falls silent.
    let code = 0;
    const deadline = Date.now() + 3000;
    while (code === 0 && Date.now() < deadline) {
      await sleep(50);
      code = await a.heartbeat();
    }
    expect(code).toBe(27);
    const r = await a.join({ sessionTimeoutMs: 300 });
    expect(r).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: a.memberId });
    expect(r.members.map((m: any) => m.memberId)).toEqual([a.memberId]);
    expect(await b.heartbeat()).toBe(25);
  });

  it('removes members that do not rejoin within the rebalance timeout', async () => {
    const groupId = nextGroup('rebalance-timeout');
    const a = await member(groupId);
    const b = await member(groupId);
    await Promise.all([a.joinFully({ rebalanceTimeoutMs: 400 }), b.joinFully({ rebalanceTimeoutMs: 400 })]);
    await Promise.all([a.sync({}), b.sync()]);
    const c = await member(groupId);
    const started = Date.now();
    const [ra, rc] = await Promise.all([a.join({ rebalanceTimeoutMs: 400 }), c.joinFully({ rebalanceTimeoutMs: 400 })]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(ra.generationId).toBe(2);
    expect(rc.generationId).toBe(2);
    const leaderView = ra.leader === a.memberId ? ra : rc;
    expect(leaderView.members.map((m: any) => m.memberId).sort()).toEqual([a.memberId, c.memberId].sort());
    expect(await b.heartbeat({ generationId: 1 })).toBe(25);
  });

  it('supports the cooperative two-phase rebalance: a member revokes, rejoins at once, and the next generation hands over', async () => {
    const groupId = nextGroup('cooperative');
    const coop = (owned: string) => [{ name: 'cooperative-sticky', metadata: Buffer.from(`owned:${owned}`) }];
    const a = await member(groupId);
    await a.joinFully({ protocols: coop('') });
    expect((await a.sync({ [a.memberId]: Buffer.from('0,1,2,3') })).assignment).toEqual(Buffer.from('0,1,2,3'));

    // b joins; a learns of the rebalance from its heartbeat and rejoins still owning everything.
    const b = await member(groupId);
    const bJoin = b.joinFully({ protocols: coop('') });
    await sleep(30);
    expect(await a.heartbeat()).toBe(27);
    const [aJoin2, bJoin2] = await Promise.all([a.join({ protocols: coop('0,1,2,3') }), bJoin]);
    expect(aJoin2.generationId).toBe(2);
    expect(bJoin2.generationId).toBe(2);
    // First phase: the leader (a) keeps 0,1 and revokes 2,3, giving b nothing yet.
    const aSync2 = await a.sync({ [a.memberId]: Buffer.from('0,1'), [b.memberId]: Buffer.alloc(0) });
    expect(aSync2.assignment).toEqual(Buffer.from('0,1'));
    // a revoked partitions, so it rejoins immediately, before b has even sent its SyncGroup.
    const aJoin3 = a.join({ protocols: coop('0,1') });
    await sleep(30);
    const bSync2 = await b.sync();
    expect(bSync2.errorCode).toBe(27);
    const [ra, rb] = await Promise.all([aJoin3, b.join({ protocols: coop('') })]);
    expect(ra.generationId).toBe(3);
    expect(rb.generationId).toBe(3);
    expect(ra.members.map((m: any) => m.metadata.toString()).sort()).toEqual(['owned:', 'owned:0,1']);
    // Second phase: the revoked partitions go to b.
    const [aSync3, bSync3] = await Promise.all([a.sync({ [a.memberId]: Buffer.from('0,1'), [b.memberId]: Buffer.from('2,3') }), b.sync()]);
    expect(aSync3).toMatchObject({ errorCode: 0, assignment: Buffer.from('0,1') });
    expect(bSync3).toMatchObject({ errorCode: 0, assignment: Buffer.from('2,3') });
    expect(await a.heartbeat()).toBe(0);
    expect(await b.heartbeat()).toBe(0);
  });

  it('answers the old member JoinGroup again with the current generation when it missed the answer (CompletingRebalance)', async () => {
    const groupId = nextGroup('repeat-join');
    const a = await member(groupId);
    const first = await a.joinFully();
    const again = await a.join();
    expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId, leader: a.memberId });
    expect(again.members).toHaveLength(1);
  });

  it('lets a static member restart with an unknown member id: same generation, same assignment, old id fenced', async () => {
    const groupId = nextGroup('static');
    const a = await member(groupId, 'instance-a');
    const b = await member(groupId, 'instance-b');
    const [ja, jb] = await Promise.all([a.join(), b.join()]);
    expect(ja.errorCode).toBe(0); // static members are not sent MEMBER_ID_REQUIRED
    expect(jb.errorCode).toBe(0);
    expect(a.memberId.startsWith('instance-a-')).toBe(true);
    const leader = ja.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    await Promise.all([leader.sync({ [leader.memberId]: Buffer.from('L'), [follower.memberId]: Buffer.from('F') }), follower.sync()]);

    // The follower's process restarts: it joins with its instance id and no member id.
    const restarted = await member(groupId, follower.groupInstanceId);
    const oldId = follower.memberId;
    const r = await restarted.join();
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader: leader.memberId, members: [] });
    expect(r.memberId).not.toBe(oldId);
    expect((await restarted.sync()).assignment).toEqual(Buffer.from('F'));
    expect(await follower.heartbeat()).toBe(82); // the old incarnation is fenced
    expect(await leader.heartbeat()).toBe(0); // no rebalance
    // A known member id with another member's instance id is fenced too.
    expect((await follower.join({ memberId: leader.memberId, groupInstanceId: follower.groupInstanceId })).errorCode).toBe(82);

    // The leader restarts with JoinGroup v9: it keeps the leadership and is told to skip the assignment.
    const leader2 = await member(groupId, leader.groupInstanceId);
    const r9 = await leader2.join({ version: 9 });
    expect(r9).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true, leader: r9.memberId, protocolType: 'consumer', protocolName: 'range' });
    expect(r9.members).toHaveLength(2);
    expect((await leader2.sync({}, { version: 5 })).assignment).toEqual(Buffer.from('L'));
    expect(kafka.broker.groups.describeGroup(groupId).members.map((m) => m.groupInstanceId).sort()).toEqual(['instance-a', 'instance-b']);

    // Administrative removal by instance id (LeaveGroup v3+ with no member id).
    const admin = await WireClient.connect(kafka.port);
    const left = await admin.send(ApiKey.LeaveGroup, 4, { groupId, memberId: '', members: [{ memberId: '', groupInstanceId: follower.groupInstanceId, reason: null }, { memberId: '', groupInstanceId: 'nobody', reason: null }] });
    admin.close();
    expect(left.members.map((m: any) => m.errorCode)).toEqual([0, 25]);
    expect(await leader2.heartbeat()).toBe(27);
  });

  it('answers an oversized group (metadata beyond message.max.bytes) with an error at SyncGroup and keeps serving the group', async () => {
    const groupId = nextGroup('huge');
    const a = await member(groupId);
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    const j = await a.joinFully({ protocols: [{ name: 'range', metadata: big }] });
    expect(j.errorCode).toBe(0);
    expect(j.members[0].metadata.length).toBe(big.length);
    const s = await a.sync({ [a.memberId]: Buffer.from('x') });
    expect(s.errorCode).toBe(-1); // UNKNOWN_SERVER_ERROR, as Kafka reports MESSAGE_TOO_LARGE for group metadata
    expect(s.assignment).toEqual(Buffer.alloc(0));
    // The member rejoins with small metadata and the group completes.
    const j2 = await a.join({ protocols: [{ name: 'range', metadata: Buffer.from('small') }] });
    expect(j2.errorCode).toBe(0);
    expect((await a.sync({ [a.memberId]: Buffer.from('y') })).assignment).toEqual(Buffer.from('y'));
    expect(a.client.closed).toBe(false);
  });

  it('leaves with LeaveGroup v0 and v3+, after which the group is Empty and keeps its generation', async () => {
    const groupId = nextGroup('leave');
    const a = await member(groupId);
    const b = await member(groupId);
    await Promise.all([a.joinFully(), b.joinFully()]);
    await Promise.all([a.sync({}), b.sync()]);
    expect((await b.leave(0)).errorCode).toBe(0);
    expect(await a.heartbeat()).toBe(27);
    await a.join();
    await a.sync({});
    const r = await a.leave(5);
    expect(r).toMatchObject({ errorCode: 0, members: [{ memberId: a.memberId, errorCode: 0 }] });
    expect(kafka.broker.groups.describeGroup(groupId)).toMatchObject({ state: 'Empty', members: [] });
    expect(await a.heartbeat()).toBe(25);
  });
});

describe('a new group with group.initial.rebalance.delay.ms', () => {
  let delayed: TestBroker;
  let groupSeq = 0;
  const open: WireMember[] = [];
  beforeAll(async () => {
    delayed = await createTestBroker({ config: { 'group.initial.rebalance.delay.ms': '300' } });
  });
  afterEach(() => open.splice(0).forEach((m) => m.close()));
  afterAll(async () => delayed?.close());
  async function member(groupId: string): Promise<WireMember> {
    const m = await WireMember.connect(delayed.port, groupId);
    open.push(m);
    return m;
  }
  const nextGroup = (name: string) => `${name}-${++groupSeq}`;

  it('waits group.initial.rebalance.delay.ms for a new group, so members joining together share generation 1', async () => {
    const groupId = nextGroup('concurrent');
    const members = await Promise.all([0, 1, 2].map(() => member(groupId)));
    const started = Date.now();
    const results = await Promise.all(members.map((m, i) => sleep(i * 60).then(() => m.joinFully())));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0]);
    expect(new Set(results.map((r) => r.generationId))).toEqual(new Set([1]));
    const leaders = results.filter((r) => r.leader === r.memberId);
    expect(leaders).toHaveLength(1);
    expect(leaders[0].members.map((x: any) => x.memberId).sort()).toEqual(members.map((m) => m.memberId).sort());
    expect(results.filter((r) => r.leader !== r.memberId).every((r) => r.members.length === 0)).toBe(true);
  });

  it('elects the first member leader, gives only it the member list, and makes followers wait for its SyncGroup', async () => {
    const groupId = nextGroup('leader');
    const members = await Promise.all([0, 1, 2].map(() => member(groupId)));
    const results = await Promise.all(members.map((m, i) => sleep(i * 30).then(() => m.joinFully())));
    expect(results.map((r) => r.generationId)).toEqual([1, 1, 1]);
    const leaders = results.filter((r) => r.leader === r.memberId);
    expect(leaders).toHaveLength(1);
    expect(leaders[0].memberId).toBe(members[0].memberId);
    // Followers wait in SyncGroup for the leader; a member the leader gives nothing gets empty bytes, not null.
    const leader = members.find((m) => m.memberId === leaders[0].memberId)!;
    const followers = members.filter((m) => m !== leader);
    let answered = 0;
    const followerSyncs = followers.map((f) => f.sync().then((r) => (answered++, r)));
    await sleep(100);
    expect(answered).toBe(0);
    const leaderSync = await leader.sync({ [leader.memberId]: Buffer.from('L'), [followers[0].memberId]: Buffer.from('F0'), 'not-a-member': Buffer.from('?') });
    const [f0, f1] = await Promise.all(followerSyncs);
    expect(leaderSync).toMatchObject({ errorCode: 0, assignment: Buffer.from('L') });
    expect(f0).toMatchObject({ errorCode: 0, assignment: Buffer.from('F0') });
    expect(f1.errorCode).toBe(0);
    expect(Buffer.isBuffer(f1.assignment) && f1.assignment.length === 0).toBe(true);
    // Late syncs in the Stable group return the stored assignment.
    expect((await followers[0].sync()).assignment).toEqual(Buffer.from('F0'));
    expect(delayed.broker.groups.describeGroup(groupId)).toMatchObject({ state: 'Stable', protocol: 'range' });
  });
});
