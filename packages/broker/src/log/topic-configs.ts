// The catalogue of Kafka topic configs: name, type, Kafka default, a one-line description, the broker
// properties that supply a server-wide default (in precedence order, with unit scaling for *.hours etc.), and
// a validator. Defaults follow Apache Kafka 4.x (e.g. message.timestamp.after.max.ms = 1 hour), except that
// segment.bytes accepts anything >= 14 bytes like Kafka 3.x (4.x demands 1 MiB) so tests can use tiny segments.
// message.timestamp.difference.max.ms and message.downconversion.enable were removed in Kafka 4.0; they are
// kept, marked deprecated, because 3.x clients and tools still send or describe them.

export type ConfigType = 'boolean' | 'string' | 'int' | 'long' | 'double' | 'list';

export interface BrokerSynonym {
  /** Broker property name, e.g. `log.retention.hours`. */
  name: string;
  /** Multiplier from the broker property's unit to the topic config's unit (3_600_000 for hours -> ms). */
  scale?: number;
}

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default, as DescribeConfigs shows it. */
  default: string;
  documentation: string;
  /** Broker properties that set the server-wide default, highest precedence first. */
  brokerSynonyms: readonly BrokerSynonym[];
  /** Returns an error message, or undefined when the value is acceptable. */
  validate(value: string): string | undefined;
  deprecated?: boolean;
}

const LONG_MAX = '9223372036854775807';
const INT_MAX = 2147483647;
const LONG_RE = /^-?\d+$/;

const long =
  (min: bigint) =>
  (v: string): string | undefined => {
    if (!LONG_RE.test(v.trim())) return 'must be a long';
    const n = BigInt(v.trim());
    if (n > BigInt(LONG_MAX) || n < -BigInt(LONG_MAX) - 1n) return 'is out of the long range';
    return n < min ? `must be at least ${min}` : undefined;
  };
const int =
  (min: number) =>
  (v: string): string | undefined => {
    if (!LONG_RE.test(v.trim())) return 'must be an int';
    const n = Number(v.trim());
    if (n > INT_MAX || n < -INT_MAX - 1) return 'is out of the int range';
    return n < min ? `must be at least ${min}` : undefined;
  };
const oneOf =
  (...allowed: string[]) =>
  (v: string): string | undefined =>
    allowed.includes(v.trim()) ? undefined : `must be one of ${allowed.join(', ')}`;
const bool = (v: string): string | undefined => (/^(true|false)$/i.test(v.trim()) ? undefined : 'must be true or false');
const ratio = (v: string): string | undefined => {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1 ? undefined : 'must be a double between 0 and 1';
};
const listOf =
  (...allowed: string[]) =>
  (v: string): string | undefined => {
    const items = splitList(v);
    const bad = items.filter((i) => !allowed.includes(i.toLowerCase()));
    return bad.length ? `contains ${bad.join(', ')}; allowed: ${allowed.join(', ')}` : undefined;
  };

/** Splits a Kafka list value ("delete,compact") into trimmed, non-empty items. */
export function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const HOURS = 3_600_000;
const MINUTES = 60_000;
const b = (name: string, scale?: number): BrokerSynonym => (scale ? { name, scale } : { name });

function def(
  name: string,
  type: ConfigType,
  dflt: string,
  brokerSynonyms: BrokerSynonym[],
  validate: (v: string) => string | undefined,
  documentation: string,
  deprecated = false,
): TopicConfigDef {
  return { name, type, default: dflt, brokerSynonyms, validate, documentation, ...(deprecated ? { deprecated } : {}) };
}

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  def('cleanup.policy', 'list', 'delete', [b('log.cleanup.policy')], listOf('delete', 'compact'),
    'How old segments are discarded: "delete" by retention, "compact" keeps the latest value per key, or both.'),
  def('compression.type', 'string', 'producer', [b('compression.type')],
    oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    'Final compression of stored batches; "producer" keeps whatever codec the producer used.'),
  def('delete.retention.ms', 'long', '86400000', [b('log.cleaner.delete.retention.ms')], long(0n),
    'How long tombstones are kept on compacted topics so consumers can observe deletes.'),
  def('file.delete.delay.ms', 'long', '60000', [b('log.segment.delete.delay.ms')], long(0n),
    'Delay between scheduling a segment for deletion and removing its files (in-flight reads finish first).'),
  def('flush.messages', 'long', LONG_MAX, [b('log.flush.interval.messages')], long(1n),
    'Force an fsync after this many messages are appended (default: never; rely on the OS and acks=all).'),
  def('flush.ms', 'long', LONG_MAX, [b('log.flush.interval.ms')], long(0n),
    'Force an fsync when appended data is older than this many ms (default: never).'),
  def('index.interval.bytes', 'int', '4096', [b('log.index.interval.bytes')], int(0),
    'Bytes of log between two entries of the sparse offset and time indexes.'),
  def('max.compaction.lag.ms', 'long', LONG_MAX, [b('log.cleaner.max.compaction.lag.ms')], long(1n),
    'Longest time a record may stay uncompacted.'),
  def('max.message.bytes', 'int', '1048588', [b('message.max.bytes')], int(0),
    'Largest record batch accepted, in bytes, including the batch overhead.'),
  def('message.timestamp.type', 'string', 'CreateTime', [b('log.message.timestamp.type')],
    oneOf('CreateTime', 'LogAppendTime'),
    'Whether batch timestamps are the producer\'s (CreateTime) or the broker\'s append time (LogAppendTime).'),
  def('message.timestamp.difference.max.ms', 'long', LONG_MAX, [b('log.message.timestamp.difference.max.ms')], long(0n),
    'Deprecated (removed in Kafka 4.0): bound on |create time - broker time|; use the before/after settings.', true),
  def('message.timestamp.before.max.ms', 'long', LONG_MAX, [b('log.message.timestamp.before.max.ms')], long(0n),
    'How far in the past a CreateTime timestamp may be, relative to the broker clock.'),
  def('message.timestamp.after.max.ms', 'long', '3600000', [b('log.message.timestamp.after.max.ms')], long(0n),
    'How far in the future a CreateTime timestamp may be, relative to the broker clock.'),
  def('min.cleanable.dirty.ratio', 'double', '0.5', [b('log.cleaner.min.cleanable.ratio')], ratio,
    'Share of uncompacted log that makes a compacted partition eligible for cleaning.'),
  def('min.compaction.lag.ms', 'long', '0', [b('log.cleaner.min.compaction.lag.ms')], long(0n),
    'Shortest time a record stays uncompacted.'),
  def('min.insync.replicas', 'int', '1', [b('min.insync.replicas')], int(1),
    'Replicas that must acknowledge an acks=all write (a single node always has exactly one).'),
  def('preallocate', 'boolean', 'false', [b('log.preallocate')], bool,
    'Preallocate segment files on creation (accepted, not acted on by this broker).'),
  def('retention.bytes', 'long', '-1', [b('log.retention.bytes')], long(-(2n ** 63n)),
    'Size a partition may grow to before its oldest segments are deleted; -1 for no limit.'),
  def('retention.ms', 'long', '604800000',
    [b('log.retention.ms'), b('log.retention.minutes', MINUTES), b('log.retention.hours', HOURS)], long(-1n),
    'Age after which whole segments are deleted; -1 for no time limit.'),
  def('segment.bytes', 'int', '1073741824', [b('log.segment.bytes')], int(14),
    'Size at which the active segment file is rolled.'),
  def('segment.index.bytes', 'int', '10485760', [b('log.index.size.max.bytes')], int(4),
    'Largest offset index per segment; a full index rolls the segment.'),
  def('segment.jitter.ms', 'long', '0', [b('log.roll.jitter.ms'), b('log.roll.jitter.hours', HOURS)], long(0n),
    'Random jitter subtracted from segment.ms so partitions do not all roll at once.'),
  def('segment.ms', 'long', '604800000', [b('log.roll.ms'), b('log.roll.hours', HOURS)], long(1n),
    'Age after which the active segment is rolled even if not full.'),
  def('unclean.leader.election.enable', 'boolean', 'false', [b('unclean.leader.election.enable')], bool,
    'Allow out-of-sync replicas to become leader (meaningless on a single node; stored for clients).'),
  def('message.downconversion.enable', 'boolean', 'true', [b('log.message.downconversion.enable')], bool,
    'Deprecated (removed in Kafka 4.0): allow down-conversion of batches for old fetch versions.', true),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((c) => [c.name, c]));

/** Validates one topic config; returns an error message or undefined. Unknown names are errors. */
export function validateTopicConfig(name: string, value: string): string | undefined {
  const d = TOPIC_CONFIG_BY_NAME.get(name);
  if (!d) return `Unknown topic config name: ${name}`;
  const problem = d.validate(value);
  return problem ? `Invalid value ${value} for configuration ${name}: ${problem}` : undefined;
}
