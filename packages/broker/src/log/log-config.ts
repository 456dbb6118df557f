// Effective topic configuration: topic override ?? broker property ?? Kafka default, each value with the source
// DescribeConfigs reports (DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG) and its synonyms, plus
// the typed LogConfig the log layer runs on. Durations and sizes are JS numbers here: they are config
// magnitudes, not offsets or timestamps, and Kafka's Long.MAX_VALUE ("never") becomes Infinity.
import { TOPIC_CONFIGS, splitList, type ConfigType, type TopicConfigDef } from './topic-configs';

export type ConfigSource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface ConfigSynonym {
  name: string;
  value: string;
  source: ConfigSource;
}

export interface ResolvedConfigEntry {
  name: string;
  value: string;
  source: ConfigSource;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  type: ConfigType;
  documentation: string;
  /** Where the value could come from, highest precedence first (DescribeConfigs include_synonyms). */
  synonyms: ConfigSynonym[];
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

/** The typed settings a PartitionLog runs on. */
export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  maxMessageBytes: number;
  /** -1 or Infinity: keep forever. */
  retentionMs: number;
  /** Negative: no size limit. */
  retentionBytes: number;
  deleteEnabled: boolean;
  compactEnabled: boolean;
  /** Compaction (cleaner/): how long tombstones stay after their first clean (KIP-534 delete horizon). */
  deleteRetentionMs: number;
  /** Compaction: records younger than this are never cleaned. */
  minCompactionLagMs: number;
  /** Compaction: a dirty record older than this makes the partition due whatever its dirty ratio; Infinity: never. */
  maxCompactionLagMs: number;
  /** Compaction: the dirty share of a partition that makes it due. */
  minCleanableDirtyRatio: number;
  timestampType: TimestampType;
  /** Largest accepted (now - CreateTime); Infinity when unbounded. */
  timestampBeforeMaxMs: number;
  /** Largest accepted (CreateTime - now); Infinity when unbounded. */
  timestampAfterMaxMs: number;
  flushMessages: number;
  flushMs: number;
  fileDeleteDelayMs: number;
  /** Broker-level (`log.flush.on.ack.all`): acks=all appends wait for fdatasync. */
  flushOnAckAll: boolean;
  /** For the produce handler: acks=all with more than 1 is NOT_ENOUGH_REPLICAS on a single node. */
  minInsyncReplicas: number;
  /** compression.type; recorded, not enforced (batches are stored as produced). */
  compressionType: string;
}

const toNumber = (v: string): number => {
  const n = BigInt(v.trim());
  return n >= BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(n);
};

/** Resolves every topic config for one topic. */
export function resolveTopicConfig(
  overrides: Readonly<Record<string, string>>,
  brokerConfig: Readonly<Record<string, string>>,
): Map<string, ResolvedConfigEntry> {
  const out = new Map<string, ResolvedConfigEntry>();
  for (const d of TOPIC_CONFIGS) out.set(d.name, resolveOne(d, overrides, brokerConfig));
  return out;
}

function resolveOne(
  d: TopicConfigDef,
  overrides: Readonly<Record<string, string>>,
  brokerConfig: Readonly<Record<string, string>>,
): ResolvedConfigEntry {
  const synonyms: ConfigSynonym[] = [];
  if (overrides[d.name] !== undefined) synonyms.push({ name: d.name, value: overrides[d.name], source: 'DYNAMIC_TOPIC_CONFIG' });
  for (const s of d.brokerSynonyms) {
    const raw = brokerConfig[s.name];
    if (raw === undefined) continue;
    const value = s.scale ? String(BigInt(raw.trim()) * BigInt(s.scale)) : raw;
    synonyms.push({ name: s.name, value, source: 'STATIC_BROKER_CONFIG' });
  }
  synonyms.push({ name: d.brokerSynonyms[0]?.name ?? d.name, value: d.default, source: 'DEFAULT_CONFIG' });
  const top = synonyms[0];
  return {
    name: d.name,
    value: top.value,
    source: top.source,
    isDefault: top.source === 'DEFAULT_CONFIG',
    readOnly: false,
    sensitive: false,
    type: d.type,
    documentation: d.documentation,
    synonyms,
  };
}

/** Validates broker properties that are synonyms of topic configs; returns error messages. */
export function validateBrokerConfig(brokerConfig: Readonly<Record<string, string>>): string[] {
  const errors: string[] = [];
  for (const d of TOPIC_CONFIGS) {
    for (const s of d.brokerSynonyms) {
      const raw = brokerConfig[s.name];
      if (raw === undefined) continue;
      const problem = d.validate(raw);
      if (problem) errors.push(`Invalid value ${raw} for broker property ${s.name}: ${problem}`);
    }
  }
  return errors;
}

/** Builds the typed LogConfig from resolved entries. */
export function toLogConfig(entries: ReadonlyMap<string, ResolvedConfigEntry>, flushOnAckAll = true): LogConfig {
  const v = (name: string): string => entries.get(name)!.value;
  const policy = splitList(v('cleanup.policy')).map((p) => p.toLowerCase());
  const difference = toNumber(v('message.timestamp.difference.max.ms'));
  const retentionMs = toNumber(v('retention.ms'));
  const compactEnabled = policy.includes('compact');
  const maxCompactionLagMs = toNumber(v('max.compaction.lag.ms'));
  return {
    segmentBytes: toNumber(v('segment.bytes')),
    // Kafka's LogConfig.maxSegmentMs: a compacted topic rolls by max.compaction.lag.ms too, so the cleaner can reach it
    segmentMs: compactEnabled ? Math.min(toNumber(v('segment.ms')), maxCompactionLagMs) : toNumber(v('segment.ms')),
    segmentJitterMs: toNumber(v('segment.jitter.ms')),
    segmentIndexBytes: toNumber(v('segment.index.bytes')),
    indexIntervalBytes: toNumber(v('index.interval.bytes')),
    maxMessageBytes: toNumber(v('max.message.bytes')),
    retentionMs: retentionMs < 0 ? Infinity : retentionMs,
    retentionBytes: toNumber(v('retention.bytes')),
    deleteEnabled: policy.includes('delete'),
    compactEnabled,
    deleteRetentionMs: toNumber(v('delete.retention.ms')),
    minCompactionLagMs: toNumber(v('min.compaction.lag.ms')),
    maxCompactionLagMs,
    minCleanableDirtyRatio: Number(v('min.cleanable.dirty.ratio')),
    timestampType: v('message.timestamp.type').trim() === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    timestampBeforeMaxMs: Math.min(toNumber(v('message.timestamp.before.max.ms')), difference),
    timestampAfterMaxMs: Math.min(toNumber(v('message.timestamp.after.max.ms')), difference),
    flushMessages: toNumber(v('flush.messages')),
    flushMs: toNumber(v('flush.ms')),
    fileDeleteDelayMs: toNumber(v('file.delete.delay.ms')),
    flushOnAckAll,
    minInsyncReplicas: toNumber(v('min.insync.replicas')),
    compressionType: v('compression.type').trim(),
  };
}

/** Kafka's defaults, with acks=all fsync on; handy for tests and for logs opened outside a LogManager. */
export function defaultLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...toLogConfig(resolveTopicConfig({}, {})), ...overrides };
}
