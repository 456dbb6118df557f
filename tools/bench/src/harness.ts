// A small measuring harness: every figure is bytes per second over repeated runs of one operation, printed next to
// a ceiling measured in the same run on the same machine: the same number of bytes copied with Buffer.copy.

export interface Measurement {
  name: string;
  /** Bytes one run processes (the uncompressed size for codecs and batches). */
  bytes: number;
  bytesPerSecond: number;
  ceilingBytesPerSecond: number;
  note?: string;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns runs per second. */
export function runsPerSecond(fn: () => unknown, ms = 400): number {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) fn();
  let runs = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) fn();
    runs += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 10) batch *= 2;
  }
  return runs / (elapsed / 1000);
}

const ceilings = new Map<number, number>();

/** Buffer.copy throughput for `bytes` bytes (source and target allocated once, as the measured code's input is). */
export function copyCeiling(bytes: number): number {
  let c = ceilings.get(bytes);
  if (c === undefined) {
    const src = Buffer.alloc(bytes, 1);
    const dst = Buffer.allocUnsafe(bytes);
    // Best of three: the ceiling is what the machine can do, so noise should not lower it.
    c = Math.max(...[0, 1, 2].map(() => runsPerSecond(() => src.copy(dst), 200))) * bytes;
    ceilings.set(bytes, c);
  }
  return c;
}

export function measure(name: string, bytes: number, fn: () => unknown, note?: string): Measurement {
  const bytesPerSecond = runsPerSecond(fn) * bytes;
  return { name, bytes, bytesPerSecond, ceilingBytesPerSecond: copyCeiling(bytes), note };
}

const fmtRate = (bps: number): string => (bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} GB/s` : `${(bps / 1e6).toFixed(0)} MB/s`);
const fmtSize = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** Renders measurements as a Markdown table (readable in a terminal and pasteable into docs/benchmarks.md). */
export function table(rows: Measurement[]): string {
  const head = ['operation', 'bytes/run', 'throughput', 'Buffer.copy ceiling', '% of ceiling', 'note'];
  const body = rows.map((r) => [
    r.name,
    fmtSize(r.bytes),
    fmtRate(r.bytesPerSecond),
    fmtRate(r.ceilingBytesPerSecond),
    `${((100 * r.bytesPerSecond) / r.ceilingBytesPerSecond).toFixed(1)}%`,
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
