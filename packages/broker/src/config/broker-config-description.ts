// What DescribeConfigs reports for the broker resource: every setting this broker knows (BROKER_CONFIG_DEFS plus
// the broker-level defaults of topic configs the log layer reads, e.g. log.segment.delete.delay.ms) and every other
// key set in server.properties. Values come from the config as loaded; sources are STATIC_BROKER_CONFIG (set) or
// DEFAULT_CONFIG. Nothing can be changed at runtime, so every entry is read-only. Like Kafka, a key the broker does
// not know is reported as sensitive with a null value (it may be a password) and an unknown type. Synonyms follow
// Kafka's broker synonym groups (log.retention.{ms,minutes,hours}, log.roll.{ms,hours}, ...): the entry itself and
// its lower-precedence synonyms, static values before defaults.
import { TOPIC_CONFIGS } from '../log';
import { BROKER_CONFIG_DEFS, type BrokerConfig } from './broker-config';

export type BrokerConfigSource = 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';
export type BrokerConfigType = 'int' | 'long' | 'string' | 'boolean' | 'list' | 'double' | 'unknown';

export interface BrokerConfigSynonym {
  name: string;
  value: string | null;
  source: BrokerConfigSource;
}

export interface BrokerConfigEntry {
  name: string;
  value: string | null;
  source: BrokerConfigSource;
  readOnly: boolean;
  sensitive: boolean;
  type: BrokerConfigType;
  documentation: string | null;
  synonyms: BrokerConfigSynonym[];
}

interface KnownDef {
  name: string;
  type: BrokerConfigType;
  default: string | null;
  doc: string;
}

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms groups, highest precedence first. */
const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
];

function catalogue(): Map<string, KnownDef> {
  const defs = new Map<string, KnownDef>();
  for (const d of BROKER_CONFIG_DEFS) defs.set(d.name, { name: d.name, type: d.kind, default: d.default, doc: d.doc });
  for (const t of TOPIC_CONFIGS) {
    for (const s of t.brokerSynonyms) {
      if (defs.has(s.name)) continue;
      // A scaled synonym (log.retention.minutes) has no default of its own: the topic default is in other units.
      defs.set(s.name, { name: s.name, type: t.type, default: s.scale ? null : t.default, doc: `Server-wide default of ${t.name}. ${t.documentation}` });
    }
  }
  return defs;
}

const KNOWN = catalogue();

/** The broker resource's entries, known settings first (catalogue order), then unknown keys that were set. */
export function describeBrokerConfig(config: BrokerConfig): BrokerConfigEntry[] {
  const out: BrokerConfigEntry[] = [];
  for (const def of KNOWN.values()) {
    const explicit = config.explicit(def.name);
    let value = explicit ?? def.default;
    if (def.name === 'node.id') value = String(config.nodeId); // node.id falls back to broker.id
    out.push({
      name: def.name,
      value,
      source: explicit !== undefined ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG',
      readOnly: true,
      sensitive: false,
      type: def.type,
      documentation: def.doc,
      synonyms: synonymsOf(def.name, config),
    });
  }
  for (const [name] of config.entries()) {
    if (KNOWN.has(name)) continue;
    out.push({
      name,
      value: null,
      source: 'STATIC_BROKER_CONFIG',
      readOnly: true,
      sensitive: true,
      type: 'unknown',
      documentation: null,
      synonyms: [{ name, value: null, source: 'STATIC_BROKER_CONFIG' }],
    });
  }
  return out;
}

function synonymsOf(name: string, config: BrokerConfig): BrokerConfigSynonym[] {
  const group = SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name];
  const all: BrokerConfigSynonym[] = [];
  for (const s of group) {
    const v = config.explicit(s);
    if (v !== undefined) all.push({ name: s, value: v, source: 'STATIC_BROKER_CONFIG' });
  }
  for (const s of group) {
    const d = KNOWN.get(s)?.default;
    if (d !== null && d !== undefined) all.push({ name: s, value: d, source: 'DEFAULT_CONFIG' });
  }
  // Kafka drops the higher-precedence synonyms listed before the entry itself.
  const at = all.findIndex((s) => s.name === name);
  return at < 0 ? [] : all.slice(at);
}

/** Whether `name` is a known broker setting whose value is a comma-separated list. */
export function isBrokerListConfig(name: string): boolean {
  return KNOWN.get(name)?.type === 'list';
}

/** Whether `name` is a broker setting this broker knows. */
export function isKnownBrokerConfig(name: string): boolean {
  return KNOWN.has(name);
}
