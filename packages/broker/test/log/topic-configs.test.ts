import { TOPIC_CONFIGS, applyConfigOps, defaultLogConfig, validateTopicConfig } from '../../src/log';

describe('topic config catalogue', () => {
  test('lists the Kafka topic configs with Kafka defaults', () => {
    const defaults = Object.fromEntries(TOPIC_CONFIGS.map((c) => [c.name, c.default]));
    expect(Object.keys(defaults).sort()).toEqual(
      [
        'cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
        'index.interval.bytes', 'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.type',
        'message.timestamp.difference.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.after.max.ms',
        'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate', 'retention.bytes',
        'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms',
        'unclean.leader.election.enable', 'message.downconversion.enable',
      ].sort(),
    );
    expect(defaults).toMatchObject({
      'max.message.bytes': '1048588',
      'segment.bytes': '1073741824',
      'index.interval.bytes': '4096',
      'retention.ms': '604800000',
      'segment.ms': '604800000',
      'flush.messages': '9223372036854775807',
      'message.timestamp.type': 'CreateTime',
      'cleanup.policy': 'delete',
    });
    for (const c of TOPIC_CONFIGS) {
      expect(c.validate(c.default)).toBeUndefined();
      expect(c.documentation.length).toBeGreaterThan(10);
    }
  });

  test.each([
    ['retention.ms', '-1', true],
    ['retention.ms', '-2', false],
    ['retention.bytes', '-5', true],
    ['segment.bytes', '13', false],
    ['segment.bytes', '2147483648', false],
    ['max.message.bytes', 'abc', false],
    ['flush.messages', '0', false],
    ['flush.ms', '9223372036854775808', false],
    ['cleanup.policy', 'compact, delete', true],
    ['cleanup.policy', 'compact,shred', false],
    ['compression.type', 'zstd', true],
    ['compression.type', 'brotli', false],
    ['message.timestamp.type', 'LogAppendTime', true],
    ['message.timestamp.type', 'Now', false],
    ['min.cleanable.dirty.ratio', '1.5', false],
    ['min.insync.replicas', '0', false],
    ['preallocate', 'TRUE', true],
    ['preallocate', 'yes', false],
    ['unknown.config', '1', false],
  ])('validate %s=%s -> %s', (name, value, ok) => {
    expect(validateTopicConfig(name, value) === undefined).toBe(ok);
  });

  test('the typed defaults match Kafka: no flushes, 1 GiB segments, CreateTime, delete policy', () => {
    expect(defaultLogConfig()).toMatchObject({
      segmentBytes: 1073741824,
      flushMessages: Infinity,
      flushMs: Infinity,
      retentionBytes: -1,
      timestampType: 'CreateTime',
      timestampAfterMaxMs: 3600000,
      timestampBeforeMaxMs: Infinity,
      deleteEnabled: true,
      compactEnabled: false,
    });
  });

  test('min.compaction.lag.ms may not exceed max.compaction.lag.ms', () => {
    expect(() => applyConfigOps({}, [{ name: 'min.compaction.lag.ms', op: 'set', value: '10' }, { name: 'max.compaction.lag.ms', op: 'set', value: '5' }], () => '')).toThrow(
      /min.compaction.lag.ms/,
    );
  });
});
