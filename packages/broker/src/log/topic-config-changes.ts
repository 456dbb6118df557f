// Pure functions behind CreateTopics configs, AlterConfigs (replace all overrides) and IncrementalAlterConfigs
// (SET / DELETE / APPEND / SUBTRACT per key): they produce the new override map or throw INVALID_CONFIG, so the
// LogManager can validate everything before persisting anything.
import { LogError } from './log-errors';
import { TOPIC_CONFIG_BY_NAME, splitList, validateTopicConfig } from './topic-configs';

export type ConfigOpType = 'set' | 'delete' | 'append' | 'subtract';

export interface ConfigOp {
  name: string;
  op: ConfigOpType;
  /** Required for set/append/subtract. */
  value?: string | null;
}

/** Checks every override (names and values, plus cross-field rules); throws INVALID_CONFIG. */
export function validateOverrides(configs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(configs)) {
    if (typeof value !== 'string') throw new LogError('INVALID_CONFIG', `Null value not supported for topic config ${name}`);
    const problem = validateTopicConfig(name, value);
    if (problem) throw new LogError('INVALID_CONFIG', problem);
  }
  const minLag = configs['min.compaction.lag.ms'];
  const maxLag = configs['max.compaction.lag.ms'];
  if (minLag !== undefined && maxLag !== undefined && BigInt(minLag) > BigInt(maxLag)) {
    throw new LogError('INVALID_CONFIG', `min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  }
}

/** Applies incremental operations to the current overrides; returns the new overrides (validated). */
export function applyConfigOps(
  current: Readonly<Record<string, string>>,
  ops: readonly ConfigOp[],
  effective: (name: string) => string,
): Record<string, string> {
  const next: Record<string, string> = { ...current };
  const seen = new Set<string>();
  for (const { name, op, value } of ops) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) throw new LogError('INVALID_CONFIG', `Unknown topic config name: ${name}`);
    if (seen.has(name)) throw new LogError('INVALID_REQUEST', `Duplicate operations on config ${name}`);
    seen.add(name);
    if (op === 'delete') {
      delete next[name];
      continue;
    }
    if (value == null) throw new LogError('INVALID_CONFIG', `Null value not supported for ${op} of ${name}`);
    if (op === 'set') {
      next[name] = value;
      continue;
    }
    if (def.type !== 'list') {
      throw new LogError('INVALID_CONFIG', `Can't ${op.toUpperCase()} to key ${name} because its type is not LIST.`); // Kafka's message
    }
    const items = splitList(next[name] ?? effective(name));
    const given = splitList(value);
    const result = op === 'append' ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
    next[name] = result.join(',');
  }
  validateOverrides(next);
  return next;
}
