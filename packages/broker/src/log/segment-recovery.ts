// Opening an existing segment, and truncating one. The indexes are loaded and checked for structure; the log is
// then scanned from the batch named by the last time-index entry (at or before the last offset-index entry,
// which is only written once the data it points at was fdatasynced) to the end. That restores nextOffset and
// the max timestamp and re-creates the index entries the lazily written files had not received. For the
// active segment every scanned batch's framing and CRC are checked and a torn or corrupt tail after the last
// index entry is cut off with a warning. An index that is missing, corrupt, or whose entries do not land on
// the batches they name is rebuilt from the log (then the whole active segment is CRC-checked).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProtocolError, validateRecordBatch } from '@tributary/protocol';
import { BatchScanner } from './batch-scanner';
import { recoverInterruptedSwaps } from './cleaner/swap-recovery';
import type { LogLogger } from './log-errors';
import { Segment, parseSegmentFileName, segmentFileName, type SegmentSettings } from './segment';

const INT32_MAX = 2147483647;

type ScanResult = { kind: 'ok'; end: number } | { kind: 'invalid'; end: number; reason: string } | { kind: 'mismatch' };

export interface OpenSegmentOptions {
  /** The last segment of its partition: CRC-checked and truncated when torn. */
  active: boolean;
  logger: LogLogger;
  nowMs: number;
}

/**
 * Opens every segment of a partition directory (the last one as active), after completing or rolling back an
 * interrupted cleaner swap, removing `*.deleted`/`*.tmp` leftovers.
 */
export function openSegments(dir: string, settings: SegmentSettings, logger: LogLogger, nowMs: number): Segment[] {
  fs.mkdirSync(dir, { recursive: true });
  recoverInterruptedSwaps(dir, logger); // a cleaner swap cut short by a crash: roll back or finish it first
  const bases: bigint[] = [];
  for (const name of fs.readdirSync(dir)) {
    const base = parseSegmentFileName(name);
    if (base !== undefined) bases.push(base);
    else if (name.endsWith('.deleted') || name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
  }
  bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return bases.map((base, i) => openSegment(dir, base, settings, { active: i === bases.length - 1, logger, nowMs }));
}

export function openSegment(dir: string, baseOffset: bigint, settings: SegmentSettings, opts: OpenSegmentOptions): Segment {
  const file = path.join(dir, segmentFileName(baseOffset, '.log'));
  const fd = fs.openSync(file, fs.constants.O_RDWR);
  const seg = new Segment(dir, baseOffset, settings, fd, opts.nowMs);
  const fileSize = fs.fstatSync(fd).size;
  seg.size = fileSize;
  const offsetState = seg.offsetIndex.load(fileSize);
  const timeState = seg.timeIndex.load(INT32_MAX);
  let rebuilt = offsetState !== 'ok' || timeState !== 'ok';
  if (rebuilt) {
    opts.logger.warn(`${file}: rebuilding indexes (offset index ${offsetState}, time index ${timeState})`);
    seg.offsetIndex.clear();
    seg.timeIndex.clear();
  }
  for (;;) {
    const r = scanTail(seg, opts.active);
    if (r.kind === 'mismatch') {
      if (rebuilt) throw new Error(`${file}: index mismatch after a rebuild`);
      opts.logger.warn(`${file}: index entries do not match the log; rebuilding indexes`);
      seg.offsetIndex.clear();
      seg.timeIndex.clear();
      rebuilt = true;
      continue;
    }
    if (r.kind === 'invalid') {
      const removed = seg.truncateFrom(r.end);
      opts.logger.warn(`${file}: truncated ${removed} bytes of ${opts.active ? 'torn or corrupt tail' : 'invalid data'} at position ${r.end} (${r.reason})`);
      // entries past the cut (or a scan that failed at its first batch) make a full rebuild the simple, safe way
      const dropped = seg.offsetIndex.truncateToPosition(r.end) + seg.timeIndex.truncateToRelOffset(Number(seg.nextOffset - baseOffset));
      if (dropped > 0) {
        seg.offsetIndex.clear();
        seg.timeIndex.clear();
        rebuilt = true;
      }
      continue;
    }
    break;
  }
  if (!opts.active) seg.seal();
  if (rebuilt) {
    seg.offsetIndex.rewrite();
    seg.timeIndex.rewrite();
  }
  if (!opts.active) {
    seg.offsetIndex.closeFile();
    seg.timeIndex.closeFile();
  }
  return seg;
}

/** Drops the batch containing offset and everything after it. Returns the bytes removed. */
export function truncateSegmentTo(seg: Segment, offset: bigint): number {
  const h = seg.findBatch(offset);
  if (!h) return 0;
  const removed = seg.truncateFrom(h.position);
  seg.offsetIndex.truncateToPosition(h.position);
  seg.timeIndex.truncateToRelOffset(Number(h.baseOffset - seg.baseOffset));
  const r = scanTail(seg, false);
  if (r.kind !== 'ok') throw new Error(`${seg.filePath('.log')}: inconsistent after truncation`);
  return removed;
}

/** Re-derives nextOffset, max timestamp and missing index entries by walking batch headers from a safe start. */
function scanTail(seg: Segment, validateCrc: boolean): ScanResult {
  const oi = seg.offsetIndex;
  const ti = seg.timeIndex;
  const base = seg.baseOffset;
  const lastIdxPos = oi.entries ? oi.lastPosition : -1;
  const scanner = new BatchScanner(256 * 1024).reset(seg.fd, seg.size);
  seg.rollingBaseTimestamp = scanner.header(0)?.maxTimestamp ?? -1n;
  seg.maxTimestamp = ti.entries ? ti.lastTimestamp : -1n;
  seg.offsetOfMaxTimestamp = ti.entries ? base + BigInt(ti.lastRelOffset) : -1n;
  seg.bytesSinceIndexEntry = 0;
  seg.nextOffset = base;
  let p = ti.entries ? oi.lookup(ti.lastRelOffset) : 0;
  let prevNext = -1n;
  while (p < seg.size) {
    // Up to the last index entry the data is known durable, so anything wrong there means the index does not
    // describe this log (rebuild it); past it, a bad batch is a torn or corrupt tail (cut it).
    const indexed = p <= lastIdxPos;
    const bad = (reason: string): ScanResult => (indexed ? { kind: 'mismatch' } : { kind: 'invalid', end: p, reason });
    const h = scanner.header(p);
    if (!h) return bad('incomplete batch');
    const rel = h.baseOffset - base;
    if (h.magic !== 2) return bad(`magic ${h.magic}`);
    if (h.lastOffsetDelta < 0 || rel < 0n || rel + BigInt(h.lastOffsetDelta) > BigInt(INT32_MAX) || h.baseOffset < prevNext) {
      return bad(`offsets ${h.baseOffset}+${h.lastOffsetDelta} out of order`);
    }
    if (validateCrc) {
      try {
        validateRecordBatch(scanner.bytes(p, h.size)!, 0);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        return bad(e.message);
      }
    }
    if (indexed) {
      // already indexed: only the max timestamp needs tracking; the last entry must name this very batch
      if (p < lastIdxPos && p + h.size > lastIdxPos) return { kind: 'mismatch' };
      if (p === lastIdxPos) {
        if (Number(rel) !== oi.lastRelOffset) return { kind: 'mismatch' };
        seg.bytesSinceIndexEntry = h.size;
      }
      if (h.maxTimestamp > seg.maxTimestamp) {
        seg.maxTimestamp = h.maxTimestamp;
        seg.offsetOfMaxTimestamp = h.baseOffset;
      }
    } else {
      seg.trackBatch(p, Number(rel), h.size, h.maxTimestamp);
    }
    prevNext = seg.nextOffset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
    p += h.size;
  }
  // an index naming a batch the log does not have (beyond its end) does not describe this log either
  if (p < lastIdxPos || (ti.entries && base + BigInt(ti.lastRelOffset) >= seg.nextOffset)) return { kind: 'mismatch' };
  return { kind: 'ok', end: p };
}
