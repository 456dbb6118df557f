// Broker configuration, the Kafka way: a server.properties-style file, KAFKA_-prefixed environment variables
// (Confluent's image convention), and command-line overrides, in increasing precedence. Unknown keys are kept
// (DescribeConfigs reports them) but never interpreted.
import { readFileSync } from 'node:fs';
import { parseArgs, parseProperties, propertiesFromEnv } from '@tributary/protocol';

type Kind = 'int' | 'long' | 'string' | 'boolean' | 'list' | 'double';

export interface BrokerConfigDef {
  name: string;
  kind: Kind;
  default: string | null;
  doc: string;
}

const d = (name: string, kind: Kind, def: string | null, doc: string): BrokerConfigDef => ({ name, kind, default: def, doc });

/** The broker settings this broker interprets, with Kafka's defaults (single-node adjustments noted). */
export const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[] = [
  d('node.id', 'int', '1', 'The id of this broker.'),
  d('broker.id', 'int', null, 'Alias of node.id.'),
  d('cluster.id', 'string', null, 'Cluster id; generated once and stored in meta.properties when unset.'),
  d('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092', 'Where the broker listens.'),
  d('advertised.listeners', 'list', null, 'Where clients are told to connect; defaults to listeners.'),
  d('log.dirs', 'string', './data/broker', 'The directory holding partition logs.'),
  d('log.dir', 'string', null, 'Alias of log.dirs.'),
  d('num.partitions', 'int', '1', 'Partitions of an auto-created topic.'),
  d('default.replication.factor', 'int', '1', 'Replication factor reported for auto-created topics.'),
  d('auto.create.topics.enable', 'boolean', 'true', 'Create a topic when Metadata asks for an unknown one and allows it.'),
  d('delete.topic.enable', 'boolean', 'true', 'Allow DeleteTopics.'),
  d('socket.request.max.bytes', 'int', '104857600', 'Largest request frame accepted; larger frames close the connection.'),
  d('queued.max.requests', 'int', '500', 'In-flight requests per connection before reading pauses.'),
  d('message.max.bytes', 'int', '1048588', 'Largest record batch accepted.'),
  d('log.segment.bytes', 'int', '1073741824', 'Segment file size before rolling.'),
  d('log.roll.ms', 'long', null, 'Segment age before rolling (overrides log.roll.hours).'),
  d('log.roll.hours', 'int', '168', 'Segment age in hours before rolling.'),
  d('log.retention.ms', 'long', null, 'Retention by time (overrides minutes/hours).'),
  d('log.retention.minutes', 'int', null, 'Retention by time in minutes.'),
  d('log.retention.hours', 'int', '168', 'Retention by time in hours.'),
  d('log.retention.bytes', 'long', '-1', 'Retention by size per partition.'),
  d('log.retention.check.interval.ms', 'long', '300000', 'How often retention runs.'),
  d('log.cleanup.policy', 'list', 'delete', 'delete, compact or both.'),
  d('log.index.interval.bytes', 'int', '4096', 'Bytes between offset index entries.'),
  d('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime or LogAppendTime.'),
  d('log.flush.interval.messages', 'long', '9223372036854775807', 'Messages between forced fsyncs.'),
  d('log.flush.interval.ms', 'long', null, 'Max time between forced fsyncs.'),
  d('log.flush.on.ack.all', 'boolean', 'true', 'acks=all produce is answered only after the data is fsynced (group commit).'),
  d('log.cleaner.delete.retention.ms', 'long', '86400000', 'How long tombstones are kept on compacted topics.'),
  d('log.cleaner.min.compaction.lag.ms', 'long', '0', 'Minimum age before a record can be compacted.'),
  d('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'Dirty ratio that triggers compaction.'),
  d('log.cleaner.max.compaction.lag.ms', 'long', '9223372036854775807', 'Longest time a record may stay uncompacted.'),
  d('log.cleaner.enable', 'boolean', 'true', 'Run the log cleaner (compaction of cleanup.policy=compact topics).'),
  d('log.cleaner.backoff.ms', 'long', '15000', 'Pause of the log cleaner when no partition needs cleaning.'),
  d('log.cleaner.dedupe.buffer.size', 'long', '134217728', 'Memory for the log cleaner\'s key -> offset map; a fuller map cleans in several passes.'),
  d('log.cleaner.threads', 'int', '1', 'Threads of the log cleaner: 0 cleans on the event loop, 1 (or more, treated as 1) in a worker thread.'),
  d('min.insync.replicas', 'int', '1', 'Minimum in-sync replicas for acks=all.'),
  d('compression.type', 'string', 'producer', 'Final compression of a topic.'),
  d('offsets.topic.num.partitions', 'int', '50', 'Partitions of __consumer_offsets.'),
  d('offsets.topic.replication.factor', 'int', '1', 'Replication factor of __consumer_offsets.'),
  d('transaction.state.log.num.partitions', 'int', '50', 'Partitions of __transaction_state.'),
  d('transaction.max.timeout.ms', 'int', '900000', 'Largest transaction timeout a producer may ask for.'),
  d('group.initial.rebalance.delay.ms', 'int', '3000', 'Wait for more members before the first rebalance.'),
  d('group.min.session.timeout.ms', 'int', '6000', 'Smallest session timeout a member may ask for.'),
  d('group.max.session.timeout.ms', 'int', '1800000', 'Largest session timeout a member may ask for.'),
];

const DEFS = new Map(BROKER_CONFIG_DEFS.map((x) => [x.name, x]));

export type ConfigSource = 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export class BrokerConfig {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Builds a config from (lowest to highest precedence) a properties file, environment, and overrides. */
  static load(
    opts: {
      file?: string;
      env?: NodeJS.ProcessEnv;
      argv?: readonly string[];
      overrides?: Record<string, string>;
      /** Values used only when no source sets them (an embedding app's defaults). */
      defaults?: Record<string, string>;
    } = {},
  ): BrokerConfig {
    const args = opts.argv ? parseArgs(opts.argv) : { file: undefined, overrides: {} };
    const file = args.file ?? opts.file;
    const fromFile = file ? parseProperties(readFileSync(file, 'utf8')) : {};
    const fromEnv = opts.env ? propertiesFromEnv(opts.env, 'KAFKA_', ['KAFKA_HEAP_OPTS', 'KAFKA_OPTS', 'KAFKA_JMX_OPTS', 'KAFKA_LOG4J_OPTS']) : {};
    return BrokerConfig.of({ ...opts.defaults, ...fromFile, ...fromEnv, ...args.overrides, ...opts.overrides });
  }

  static of(values: Record<string, string>): BrokerConfig {
    for (const [k, v] of Object.entries(values)) {
      const def = DEFS.get(k);
      if (def) validate(def, v);
    }
    return new BrokerConfig(new Map(Object.entries(values)));
  }

  /** The explicitly set value, or undefined. */
  explicit(name: string): string | undefined {
    return this.values.get(name);
  }

  get(name: string): string | null {
    return this.values.get(name) ?? DEFS.get(name)?.default ?? null;
  }

  source(name: string): ConfigSource {
    return this.values.has(name) ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG';
  }

  int(name: string): number {
    const v = this.get(name);
    if (v === null) throw new Error(`config ${name} has no value`);
    return Number(v);
  }
  bool(name: string): boolean {
    return this.get(name) === 'true';
  }
  /** Every explicitly set key (including ones this broker does not interpret). */
  entries(): [string, string][] {
    return [...this.values.entries()];
  }

  /** The explicitly set keys as a plain record (what the log layer reads its broker-level defaults from). */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  get nodeId(): number {
    return Number(this.values.get('node.id') ?? this.values.get('broker.id') ?? '1');
  }
  get logDir(): string {
    return this.values.get('log.dirs')?.split(',')[0] ?? this.values.get('log.dir') ?? './data/broker';
  }
  /** The first listener as host/port ("PLAINTEXT://host:port"; an empty host means all interfaces). */
  get listener(): { host: string; port: number } {
    return parseListener(this.get('listeners')!);
  }
  /** The address clients are told to use. */
  get advertised(): { host: string; port: number } {
    const adv = this.values.get('advertised.listeners');
    const l = adv ? parseListener(adv) : this.listener;
    return { host: l.host === '' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host, port: l.port };
  }
}

export function parseListener(spec: string): { host: string; port: number } {
  const first = spec.split(',')[0].trim();
  const m = /^(?:[A-Za-z_]+:\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(first);
  if (!m) throw new Error(`invalid listener "${spec}" (expected PLAINTEXT://host:port)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function validate(def: BrokerConfigDef, v: string): void {
  const bad = (why: string) => new Error(`invalid value "${v}" for ${def.name}: ${why}`);
  switch (def.kind) {
    case 'int':
    case 'long':
      if (!/^-?\d+$/.test(v.trim())) throw bad('not an integer');
      break;
    case 'double':
      if (Number.isNaN(Number(v))) throw bad('not a number');
      break;
    case 'boolean':
      if (v !== 'true' && v !== 'false') throw bad('not true or false');
      break;
    default:
  }
}
