// Finishing or undoing a cleaner swap interrupted by a crash, before a partition's segments are opened (Kafka's
// LogLoader does the same):
//   - `*.cleaned` files are a pass that had not reached its commit point: deleted, the old segments are intact;
//   - `<base>.index.swap` (or other `.swap` files) without `<base>.log.swap` are the same, one rename further;
//   - `<base>.log.swap` is a committed swap: the segment files with base offsets in [base, next offset of the
//     swap) (at least `<base>.*` itself) are the segments it replaces, still there or half retired; they are
//     deleted and the `.swap` files renamed to their final names, the log last. A missing index is rebuilt when
//     the segment is opened. As in Kafka, a replaced segment whose every record was removed and whose base offset
//     lies past the swap's last offset is not recognised: it survives, holding only superseded records that the
//     next pass removes again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BatchScanner } from '../batch-scanner';
import type { LogLogger } from '../log-errors';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './cleaned-segment';

const SWAP_LOG = /^(\d{20})\.log\.swap$/;
const SWAP_ANY = /^(\d{20})\.[a-z]+\.swap$/;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

/** Completes or rolls back interrupted swaps in a partition directory. Returns the number of swaps completed. */
export function recoverInterruptedSwaps(dir: string, logger: LogLogger): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let changed = false;
  const swaps: bigint[] = [];
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      fs.rmSync(path.join(dir, name), { force: true });
      changed = true;
      continue;
    }
    const m = SWAP_LOG.exec(name);
    if (m) swaps.push(BigInt(m[1]));
  }
  if (changed) logger.warn(`${dir}: removed the files of an unfinished cleaning (the old segments are intact)`);
  const committed = new Set(swaps);
  for (const name of names) {
    const m = SWAP_ANY.exec(name);
    if (m && !committed.has(BigInt(m[1]))) {
      fs.rmSync(path.join(dir, name), { force: true });
      changed = true;
    }
  }
  swaps.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const base of swaps) {
    const stem = base.toString().padStart(20, '0');
    const next = nextOffsetOf(path.join(dir, `${stem}.log.swap`), base);
    const end = next > base ? next : base + 1n;
    for (const name of fs.readdirSync(dir)) {
      const m = SEGMENT_FILE.exec(name);
      if (!m) continue;
      const b = BigInt(m[1]);
      if (b >= base && b < end) fs.rmSync(path.join(dir, name), { force: true });
    }
    for (const ext of ['index', 'timeindex', 'log']) {
      const from = path.join(dir, `${stem}.${ext}${SWAP_SUFFIX}`);
      if (fs.existsSync(from)) fs.renameSync(from, path.join(dir, `${stem}.${ext}`));
    }
    logger.warn(`${dir}: completed an interrupted cleaner swap of offsets [${base}, ${end})`);
    changed = true;
  }
  if (changed) {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  return swaps.length;
}

/** One past the last offset of the whole batches in a log file (base when it holds none). */
function nextOffsetOf(file: string, base: bigint): bigint {
  const fd = fs.openSync(file, 'r');
  try {
    const scanner = new BatchScanner(256 * 1024).reset(fd, fs.fstatSync(fd).size);
    let next = base;
    for (let pos = 0; ; ) {
      const h = scanner.header(pos);
      if (!h) return next;
      next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      pos += h.size;
    }
  } finally {
    fs.closeSync(fd);
  }
}
