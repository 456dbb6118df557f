// The cleaner checkpoint: `<log dir>/cleaner-offset-checkpoint`, Kafka's OffsetCheckpointFile format
//   0\n<count>\n<topic> <partition> <offset>\n...
// recording per partition the offset up to which the log is clean (the first dirty offset of the next pass).
// Written atomically (temp file, fsync, rename, directory fsync) after a pass; a missing entry means "nothing
// cleaned yet" and an entry outside the log (after a truncation, say) is ignored by the cleaner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, type SyncFn } from '../file-io';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: bigint;
}

/** The entries of the checkpoint in dataDir; empty when the file is missing. Throws on a malformed file. */
export function readCleanerCheckpoint(dataDir: string): CheckpointEntry[] {
  const file = path.join(dataDir, CLEANER_CHECKPOINT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  if (lines[0] !== '0' || !/^\d+$/.test(lines[1] ?? '')) throw new Error(`${file}: malformed cleaner checkpoint header`);
  const count = Number(lines[1]);
  const out: CheckpointEntry[] = [];
  for (let i = 0; i < count; i++) {
    const m = /^(\S+) (\d+) (\d+)$/.exec(lines[2 + i] ?? '');
    if (!m) throw new Error(`${file}: malformed cleaner checkpoint line ${3 + i}`);
    out.push({ topic: m[1], partition: Number(m[2]), offset: BigInt(m[3]) });
  }
  return out;
}

export function writeCleanerCheckpoint(dataDir: string, entries: readonly CheckpointEntry[], sync: SyncFn): Promise<void> {
  const body = entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join('');
  return writeFileAtomic(path.join(dataDir, CLEANER_CHECKPOINT_FILE), `0\n${entries.length}\n${body}`, sync);
}
