// __consumer_offsets: groups are placed by Java's String.hashCode, records use Kafka's own key/value schemas
// (read back here with the generated codecs, not the coordinator's decoder), and a restart replays them: the last
// value per key wins, tombstones delete, and a group with members comes back Stable for its members to resume.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKey, GroupMetadataValue, OffsetCommitKey, OffsetCommitValue, Reader, decodeRecordBatches } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { javaStringHashCode, partitionForGroup } from '../../src/coordinator/coordinator-records';
import { WireClient } from '../support/wire-client';
import { WireMember, commitBody, sleep } from './wire-helpers';

jest.setTimeout(30_000);

describe('group placement in __consumer_offsets', () => {
  it('computes Java String.hashCode exactly', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Hello World')).toBe(-862545276);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHashCode('groupé✓')).toBe(Array.from('groupé✓').reduce((h, c) => (Math.imul(31, h) + c.charCodeAt(0)) | 0, 0));
  });

  it("places a group in Utils.abs(hashCode) % partitions, as Kafka's GroupMetadataManager.partitionFor", () => {
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
    expect(partitionForGroup('Hello World', 50)).toBe(862545276 % 50);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0); // Utils.abs(Integer.MIN_VALUE) is 0
    expect(partitionForGroup('my-group', 1)).toBe(0);
  });
});

/** Every record of the group's partition, decoded with the generated codecs (key/value: int16 version + body). */
async function rawRecords(kafka: TestBroker, groupId: string) {
  const partition = partitionForGroup(groupId, 50);
  const log = kafka.broker.logs.log('__consumer_offsets', partition)!;
  const { records } = await log.read(log.logStartOffset, 10 << 20);
  const out: { keyVersion: number; valueVersion: number | null; key: Reader; value: Reader | null }[] = [];
  for (const b of decodeRecordBatches(records).batches) {
    for (const r of b.records) {
      const key = new Reader(r.key!);
      const keyVersion = key.int16();
      const value = r.value ? new Reader(r.value) : null;
      out.push({ keyVersion, valueVersion: value ? value.int16() : null, key, value });
    }
  }
  return out;
}

describe('__consumer_offsets records and replay', () => {
  let dataDir: string;
  let kafka: TestBroker;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-offsets-topic-'));
    kafka = await createTestBroker({ dataDir, keepData: true, config: { 'group.min.session.timeout.ms': '100' } });
    await kafka.broker.logs.createTopic('events', { partitions: 2 });
  });
  afterEach(async () => {
    await kafka.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const restart = async () => {
    await kafka.close();
    kafka = await createTestBroker({ dataDir, keepData: true, config: { 'group.min.session.timeout.ms': '100' } });
  };

  it("writes Kafka's OffsetCommitKey v1 / OffsetCommitValue v3 and GroupMetadataKey v2 / GroupMetadataValue v4", async () => {
    const m = await WireMember.connect(kafka.port, 'formats');
    await m.joinFully();
    await m.sync({ [m.memberId]: Buffer.from('assignment') });
    const body = commitBody('formats', { generationId: m.generationId, memberId: m.memberId, topics: { events: [{ partition: 1, offset: 42n, metadata: 'meta', leaderEpoch: 5 }] } });
    await m.client.send(ApiKey.OffsetCommit, 7, body);
    const v1 = commitBody('formats-v1', { topics: { events: [{ partition: 0, offset: 3n }] } });
    v1.topics[0].partitions[0].commitTimestamp = 1234n;
    await m.client.send(ApiKey.OffsetCommit, 1, v1);
    m.close();

    const records = await rawRecords(kafka, 'formats');
    const group = records.find((r) => r.keyVersion === 2)!;
    expect(group.key.string()).toBe('formats');
    expect(group.valueVersion).toBe(4);
    const gv = GroupMetadataValue.decode(group.value!, 4);
    expect(gv).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'range', leader: m.memberId });
    expect(gv.members).toEqual([
      expect.objectContaining({ memberId: m.memberId, clientId: 'wire-test', clientHost: '/127.0.0.1', sessionTimeout: 10000, rebalanceTimeout: 10000, subscription: Buffer.from('m'), assignment: Buffer.from('assignment') }),
    ]);
    const offset = records.find((r) => r.keyVersion === 1)!;
    expect(OffsetCommitKey.decode(offset.key, 1)).toEqual({ group: 'formats', topic: 'events', partition: 1 });
    expect(offset.valueVersion).toBe(3);
    expect(OffsetCommitValue.decode(offset.value!, 3)).toMatchObject({ offset: 42n, leaderEpoch: 5, metadata: 'meta' });

    const [legacy] = (await rawRecords(kafka, 'formats-v1')).filter((r) => r.keyVersion === 1);
    expect(OffsetCommitValue.decode(legacy.value!, 3).commitTimestamp).toBe(1234n);
    expect(kafka.broker.logs.topic('__consumer_offsets')?.configs).toMatchObject({ 'cleanup.policy': 'compact' });
  });

  it('replays the last value per key and honours tombstones (OffsetDelete, DeleteGroups, deleted topics)', async () => {
    const c = await WireClient.connect(kafka.port);
    const commit = (groupId: string, topic: string, partition: number, offset: bigint) =>
      c.send(ApiKey.OffsetCommit, 8, commitBody(groupId, { topics: { [topic]: [{ partition, offset, metadata: `at-${offset}` }] } }));
    await kafka.broker.logs.createTopic('short-lived', { partitions: 1 });
    await commit('replay', 'events', 0, 5n);
    await commit('replay', 'events', 0, 7n);
    await commit('replay', 'events', 1, 9n);
    await commit('replay', 'short-lived', 0, 1n);
    await c.send(ApiKey.OffsetDelete, 0, { groupId: 'replay', topics: [{ name: 'events', partitions: [{ partitionIndex: 1 }] }] });
    await commit('deleted-group', 'events', 0, 3n);
    await c.send(ApiKey.DeleteGroups, 2, { groupsNames: ['deleted-group'] });
    await kafka.broker.logs.deleteTopic('short-lived');
    await sleep(100); // the topic-deletion tombstones are written after DeleteTopics returns
    c.close();
    const tombstones = (await rawRecords(kafka, 'replay')).filter((r) => r.keyVersion === 1 && r.value === null);
    expect(tombstones.map((t) => OffsetCommitKey.decode(t.key, 1))).toEqual([
      { group: 'replay', topic: 'events', partition: 1 },
      { group: 'replay', topic: 'short-lived', partition: 0 },
    ]);

    await restart();
    const groups = kafka.broker.groups;
    expect(groups.fetchOffsets('replay', null).topics).toEqual([
      { name: 'events', partitions: [{ partition: 0, offset: 7n, leaderEpoch: -1, metadata: 'at-7', errorCode: 0 }] },
    ]);
    expect(groups.fetchOffsets('deleted-group', null).topics).toEqual([]);
    expect(groups.listGroups().map((g) => g.groupId)).toEqual(['replay']);
  });

  it('restores a group with members as Stable: members keep heartbeating into the same generation, silent ones expire', async () => {
    const a = await WireMember.connect(kafka.port, 'restored');
    const b = await WireMember.connect(kafka.port, 'restored');
    await Promise.all([a.joinFully({ sessionTimeoutMs: 400 }), b.joinFully({ sessionTimeoutMs: 400 })]);
    await Promise.all([a.sync({ [a.memberId]: Buffer.from('A'), [b.memberId]: Buffer.from('B') }), b.sync()]);
    const generation = a.generationId;
    a.close();
    b.close();
    await restart();

    const d = kafka.broker.groups.describeGroup('restored');
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(d.members.map((m) => m.assignment.toString()).sort()).toEqual(['A', 'B']);
    // a reconnects and carries on; b never comes back.
    const a2 = new WireMember(await WireClient.connect(kafka.port), 'restored');
    a2.memberId = a.memberId;
    a2.generationId = generation;
    expect(await a2.heartbeat()).toBe(0);
    expect((await a2.sync()).assignment).toEqual(Buffer.from('A'));
    let code = 0;
    const deadline = Date.now() + 3000;
    while (code === 0 && Date.now() < deadline) {
      await sleep(50);
      code = await a2.heartbeat();
    }
    expect(code).toBe(27);
    const r = await a2.join({ sessionTimeoutMs: 400 });
    expect(r).toMatchObject({ errorCode: 0, generationId: generation + 1 });
    expect(r.members.map((m: any) => m.memberId)).toEqual([a.memberId]);
    a2.close();
  });

  it('keeps the generation of an Empty group across a restart', async () => {
    const m = await WireMember.connect(kafka.port, 'generations');
    await m.joinFully();
    await m.sync({});
    await m.leave();
    m.close();
    await restart();
    const again = await WireMember.connect(kafka.port, 'generations');
    const r = await again.joinFully();
    expect(r.generationId).toBe(3); // 1 (joined), 2 (empty after the leave), 3
    again.close();
  });
});
