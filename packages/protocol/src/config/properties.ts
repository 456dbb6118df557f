// Java .properties parsing and Confluent-image environment mapping, shared by every service's config loader
// (broker, Schema Registry, REST Proxy, Connect): the configuration conventions of the Kafka ecosystem.
//
// Environment variables follow Confluent's Docker images: strip the prefix, lower-case, then `___` -> `-`,
// `__` -> `_`, `_` -> `.`. So KAFKA_LOG_RETENTION_MS -> log.retention.ms and
// KAFKA_LISTENER_SECURITY__PROTOCOL___MAP -> listener.security_protocol-map.

/** Parses the text of a .properties file: `key=value` or `key: value`, `#`/`!` comments, `\` line continuation. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = unescape(m ? m[1] : line);
    out[key] = m ? unescape(m[2].replace(/\s+$/, '')) : '';
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

/** Converts `KAFKA_LOG_RETENTION_MS` (prefix `KAFKA_`) to `log.retention.ms`, the Confluent image convention. */
export function envNameToProperty(name: string, prefix: string): string | undefined {
  if (!name.startsWith(prefix)) return undefined;
  return name
    .slice(prefix.length)
    .toLowerCase()
    .replace(/___/g, '\u0001')
    .replace(/__/g, '\u0002')
    .replace(/_/g, '.')
    .replace(/\u0001/g, '-')
    .replace(/\u0002/g, '_');
}

/** Every `<prefix>*` variable of `env` as properties. `exclude` lists variables that are not settings. */
export function propertiesFromEnv(env: NodeJS.ProcessEnv, prefix: string, exclude: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || exclude.includes(name)) continue;
    const key = envNameToProperty(name, prefix);
    if (key) out[key] = value;
  }
  return out;
}

/**
 * Command-line settings in the Apache Kafka script style: `--override key=value` (repeatable), `--key value` or
 * `--key=value` for any property, and one positional argument naming the properties file.
 */
export function parseArgs(argv: readonly string[]): { file?: string; overrides: Record<string, string> } {
  const overrides: Record<string, string> = {};
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--override' || a === '-o') {
      const kv = argv[++i] ?? '';
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--override needs key=value, got "${kv}"`);
      overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '--config' || a === '-c') {
      file = argv[++i];
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) overrides[a.slice(2, eq)] = a.slice(eq + 1);
      else overrides[a.slice(2)] = argv[++i] ?? '';
    } else if (!file) {
      file = a;
    } else {
      throw new Error(`unexpected argument "${a}"`);
    }
  }
  return { file, overrides };
}
