// The topic catalogue on disk: `<dataDir>/topics.json` = { version: 1, topics: [{ name, topicId, partitions,
// configs }] } where configs holds only the per-topic overrides. Every change rewrites the whole file
// atomically (temp file, fsync, rename, directory fsync); saves are serialised so the last one wins.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, type SyncFn } from './file-io';
import { LogError } from './log-errors';

export interface TopicRecord {
  name: string;
  /** UUID string (8-4-4-4-12 hex). */
  topicId: string;
  partitions: number;
  /** Per-topic config overrides (DYNAMIC_TOPIC_CONFIG). */
  configs: Record<string, string>;
}

export const TOPICS_FILE = 'topics.json';

/**
 * Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". Throws INVALID_TOPIC_EXCEPTION with Kafka's
 * message (`Topic.validate`), which CreateTopics and DescribeConfigs return to clients.
 */
export function validateTopicName(name: string): void {
  let reason: string | undefined;
  if (name === '') reason = 'the empty string is not allowed';
  else if (name === '.' || name === '..') reason = `'${name}' is not allowed`;
  else if (name.length > 249) reason = `the length of '${name}' is longer than the max allowed length 249`;
  else if (!/^[a-zA-Z0-9._-]+$/.test(name)) reason = `'${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`;
  if (reason !== undefined) throw new LogError('INVALID_TOPIC_EXCEPTION', `Topic name is invalid: ${reason}`);
}

export class TopicStore {
  private chain: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly sync: SyncFn,
  ) {
    this.file = path.join(dataDir, TOPICS_FILE);
  }

  /** Reads the catalogue; an absent file is an empty catalogue, a malformed one an error (never guessed). */
  load(): TopicRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const doc = JSON.parse(text) as { version?: number; topics?: TopicRecord[] };
    if (doc.version !== 1 || !Array.isArray(doc.topics)) throw new Error(`${this.file}: unsupported topic catalogue`);
    for (const t of doc.topics) {
      if (typeof t.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.partitions) || typeof t.configs !== 'object') {
        throw new Error(`${this.file}: malformed topic entry ${JSON.stringify(t)}`);
      }
    }
    return doc.topics;
  }

  /** Persists the catalogue; resolves once it is durable. */
  save(topics: Iterable<TopicRecord>): Promise<void> {
    const text = `${JSON.stringify({ version: 1, topics: [...topics] }, null, 2)}\n`;
    const next = this.chain.catch(() => undefined).then(() => writeFileAtomic(this.file, text, this.sync));
    this.chain = next;
    return next;
  }

  /** Waits for pending saves. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }
}
