// Rows of the broker benchmark and their Markdown tables (readable in a terminal, pasteable into docs/benchmarks.md).
import * as fs from 'node:fs';

export interface ThroughputRow {
  what: string;
  client: string;
  /** Records per second (undefined where not counted). */
  records?: number;
  /** Bytes of record values per second. */
  bytes: number;
  /** The ceiling's bytes of record values per second, measured in the same run. */
  ceiling?: number;
  /** CPU the server process used, in cores (1 = one core busy the whole time). */
  serverCpu?: number;
  note?: string;
}

export interface LatencyRow {
  acks: string;
  partitions: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  note?: string;
}

const mb = (bps: number) => (bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} GB/s` : `${(bps / 1e6).toFixed(0)} MB/s`);
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
const ms = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

function render(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function throughputTable(rows: ThroughputRow[]): string {
  return render(
    ['measurement', 'client', 'records/s', 'MB/s', 'ceiling', '% of ceiling', 'server CPU', 'CPU s/GB', 'note'],
    rows.map((r) => [
      r.what,
      r.client,
      r.records === undefined ? '' : count(r.records),
      mb(r.bytes),
      r.ceiling === undefined ? '' : mb(r.ceiling),
      r.ceiling === undefined ? '' : `${((100 * r.bytes) / r.ceiling).toFixed(0)}%`,
      r.serverCpu === undefined ? '' : `${(100 * r.serverCpu).toFixed(0)}%`,
      r.serverCpu === undefined || r.bytes < 1e7 ? '' : (r.serverCpu / (r.bytes / 1e9)).toFixed(2),
      r.note ?? '',
    ]),
  );
}

export function latencyTable(rows: LatencyRow[]): string {
  return render(
    ['acks', 'partitions', 'rate', 'p50 ms', 'p99 ms', 'max ms', 'note'],
    rows.map((r) => [r.acks, String(r.partitions), `${count(r.rate)}`, ms(r.p50), ms(r.p99), ms(r.max), r.note ?? '']),
  );
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Measures the CPU a process uses while `fn` runs, in cores. */
export async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; cores: number }> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const result = await fn();
  return { result, cores: (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000) };
}
