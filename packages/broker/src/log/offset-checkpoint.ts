// The per-partition log-start-offset checkpoint (`log-start-offset-checkpoint` in the partition directory):
// "0\n<offset>\n" (version 0), written atomically (temp + fsync + rename + directory fsync) whenever
// DeleteRecords moves the log start inside a segment, so the new start survives a restart. Retention needs no
// checkpoint: the first remaining segment's base offset already says where the log starts.
import * as fs from 'node:fs';
import { writeFileAtomic, type SyncFn } from './file-io';

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';

/** The stored offset; undefined when the file is missing. Throws on a malformed file. */
export function readOffsetCheckpoint(file: string): bigint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const m = /^0\n(\d+)\n$/.exec(text);
  if (!m) throw new Error(`${file}: malformed checkpoint`);
  return BigInt(m[1]);
}

export function writeOffsetCheckpoint(file: string, offset: bigint, sync: SyncFn): Promise<void> {
  return writeFileAtomic(file, `0\n${offset}\n`, sync);
}
