import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager, type LogManagerOptions } from '../../src/log';
import { batchOf, valuesOf } from './record-batch-builder';
import { CapturingLogger, TestSync, removeDir, tempDir } from './log-test-support';

describe('LogManager', () => {
  let dataDir: string;
  let mgr: LogManager;
  const open = (extra: Partial<LogManagerOptions> = {}): Promise<LogManager> =>
    LogManager.open({ dataDir, sync: new TestSync().fn, logger: new CapturingLogger(), ...extra });
  beforeEach(async () => {
    dataDir = tempDir('tributary-data-');
    mgr = await open();
  });
  afterEach(async () => {
    await mgr.close();
    removeDir(dataDir);
  });

  test('createTopic makes one <topic>-<partition> directory per partition and persists the catalogue', async () => {
    const t = await mgr.createTopic('orders.v1', { partitions: 3, configs: { 'retention.ms': '1000' } });
    expect(t.topicId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['orders.v1-0', 'orders.v1-1', 'orders.v1-2', 'topics.json']);
    const doc = JSON.parse(fs.readFileSync(path.join(dataDir, 'topics.json'), 'utf8'));
    expect(doc).toEqual({ version: 1, topics: [{ name: 'orders.v1', topicId: t.topicId, partitions: 3, configs: { 'retention.ms': '1000' } }] });
    expect(mgr.log('orders.v1', 2)).toBeDefined();
    expect(mgr.log('orders.v1', 3)).toBeUndefined();
    expect(mgr.topicById(t.topicId)?.name).toBe('orders.v1');
  });

  test('createTopic rejects bad names, duplicates, partition counts and configs with Kafka errors', async () => {
    await mgr.createTopic('a', { partitions: 1 });
    await expect(mgr.createTopic('a', { partitions: 1 })).rejects.toMatchObject({ errorName: 'TOPIC_ALREADY_EXISTS', code: 36 });
    await expect(mgr.createTopic('bad/name', { partitions: 1 })).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION' });
    await expect(mgr.createTopic('..', { partitions: 1 })).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION' });
    await expect(mgr.createTopic('x'.repeat(250), { partitions: 1 })).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION' });
    await expect(mgr.createTopic('b', { partitions: 0 })).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS' });
    await expect(mgr.createTopic('b', { partitions: 1, configs: { 'no.such': '1' } })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
    await expect(mgr.createTopic('b', { partitions: 1, configs: { 'retention.ms': 'soon' } })).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
    expect(await mgr.createTopic('b', { partitions: 2, validateOnly: true })).toMatchObject({ name: 'b', partitions: 2 });
    expect(mgr.topic('b')).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'b-0'))).toBe(false);
  });

  test('effective config is topic override ?? broker property ?? Kafka default, with sources and synonyms', async () => {
    await mgr.close();
    mgr = await open({ brokerConfig: { 'log.retention.hours': '48', 'log.segment.bytes': '5000000', 'message.max.bytes': '2000' } });
    await mgr.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '4000000' } });
    const byName = new Map(mgr.describeTopicConfig('t').map((e) => [e.name, e]));
    expect(byName.get('segment.bytes')).toMatchObject({ value: '4000000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false });
    expect(byName.get('segment.bytes')!.synonyms.map((s) => [s.name, s.source])).toEqual([
      ['segment.bytes', 'DYNAMIC_TOPIC_CONFIG'],
      ['log.segment.bytes', 'STATIC_BROKER_CONFIG'],
      ['log.segment.bytes', 'DEFAULT_CONFIG'],
    ]);
    expect(byName.get('retention.ms')).toMatchObject({ value: String(48 * 3600_000), source: 'STATIC_BROKER_CONFIG' });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG', isDefault: true, type: 'list' });
    expect(byName.get('max.message.bytes')).toMatchObject({ value: '2000', source: 'STATIC_BROKER_CONFIG' });
    expect(byName.size).toBe(25);
    const log = mgr.log('t', 0)!;
    expect(log.config).toMatchObject({ segmentBytes: 4_000_000, retentionMs: 48 * 3600_000, maxMessageBytes: 2000, flushOnAckAll: true });
    await expect(log.append(batchOf(1, 'x', 3000))).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
  });

  test('a broker config with an invalid topic-config synonym fails to open', async () => {
    await expect(open({ brokerConfig: { 'log.retention.ms': 'forever' } })).rejects.toThrow(/log\.retention\.ms/);
  });

  test('alterTopicConfig applies SET/DELETE/APPEND/SUBTRACT and reconfigures the running logs', async () => {
    await mgr.createTopic('t', { partitions: 2 });
    await mgr.alterTopicConfig('t', [{ name: 'max.message.bytes', op: 'set', value: '500' }, { name: 'cleanup.policy', op: 'append', value: 'compact' }]);
    expect(mgr.topic('t')!.configs).toEqual({ 'max.message.bytes': '500', 'cleanup.policy': 'delete,compact' });
    expect(mgr.log('t', 1)!.config).toMatchObject({ maxMessageBytes: 500, compactEnabled: true, deleteEnabled: true });
    await expect(mgr.log('t', 1)!.append(batchOf(10, 'x', 50))).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
    await mgr.alterTopicConfig('t', [{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }, { name: 'max.message.bytes', op: 'delete' }]);
    expect(mgr.topic('t')!.configs).toEqual({ 'cleanup.policy': 'compact' });
    await expect(mgr.alterTopicConfig('t', [{ name: 'retention.ms', op: 'append', value: '5' }])).rejects.toMatchObject({ errorName: 'INVALID_CONFIG' });
    await expect(mgr.alterTopicConfig('nope', [])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await mgr.replaceTopicConfig('t', { 'retention.bytes': '1000' });
    expect(mgr.topic('t')!.configs).toEqual({ 'retention.bytes': '1000' });
  });

  test('createPartitions adds partitions and rejects shrinking', async () => {
    await mgr.createTopic('t', { partitions: 2 });
    await mgr.createPartitions('t', 5);
    expect(mgr.topic('t')!.partitions).toBe(5);
    expect(fs.existsSync(path.join(dataDir, 't-4'))).toBe(true);
    await expect(mgr.createPartitions('t', 3)).rejects.toMatchObject({ errorName: 'INVALID_PARTITIONS' });
  });

  test('deleteTopic closes the logs and removes their files; the name can be reused at once', async () => {
    await mgr.createTopic('t', { partitions: 2 });
    const old = mgr.log('t', 0)!;
    await old.append(batchOf(3));
    await mgr.deleteTopic('t');
    expect(fs.readdirSync(dataDir)).toEqual(['topics.json']);
    await expect(old.append(batchOf(1))).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await mgr.createTopic('t', { partitions: 1 });
    expect(mgr.log('t', 0)!.logEndOffset).toBe(0n);
    await expect(mgr.deleteTopic('missing')).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  test('a restart restores topics, ids, configs, partitions, offsets and log start offsets', async () => {
    const a = await mgr.createTopic('alpha', { partitions: 2, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    const b = await mgr.createTopic('beta', { partitions: 1 });
    await mgr.createPartitions('beta', 3);
    for (let i = 0; i < 5; i++) await mgr.log('alpha', 1)!.append(batchOf(2, `a${i}-`));
    await mgr.log('beta', 2)!.append(batchOf(4, 'b'));
    await mgr.log('alpha', 1)!.deleteRecordsBefore(3n);
    await mgr.close();

    mgr = await open();
    expect(mgr.topics().map((t) => [t.name, t.topicId, t.partitions])).toEqual([
      ['alpha', a.topicId, 2],
      ['beta', b.topicId, 3],
    ]);
    expect(mgr.topic('alpha')!.configs).toEqual({ 'message.timestamp.type': 'LogAppendTime' });
    expect(mgr.log('alpha', 1)!.config.timestampType).toBe('LogAppendTime');
    expect(mgr.log('alpha', 1)!.logEndOffset).toBe(10n);
    expect(mgr.log('alpha', 1)!.logStartOffset).toBe(3n);
    expect(valuesOf((await mgr.log('beta', 2)!.read(0n, 1000)).records)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect((await mgr.log('alpha', 0)!.append(batchOf(1))).baseOffset).toBe(0n);
  });

  test('the retention timer applies retention.bytes to every partition until stopped', async () => {
    await mgr.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '300', 'retention.bytes': '300' } });
    const log = mgr.log('t', 0)!;
    for (let i = 0; i < 8; i++) await log.append(batchOf(2, `${i}`, 60));
    expect(log.segments.length).toBeGreaterThan(3);
    mgr.startRetention(5);
    for (let i = 0; i < 50 && log.segments.length > 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(log.size).toBeLessThanOrEqual(300 + log.active.size);
    mgr.stopRetention();
    for (let i = 0; i < 8; i++) await log.append(batchOf(2, `${i}`, 60));
    const segments = log.segments.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(log.segments.length).toBe(segments);
    expect(await mgr.runRetention()).toBeGreaterThan(0);
  });
});
