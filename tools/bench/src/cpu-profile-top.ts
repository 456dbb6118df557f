// The hottest functions of a V8 CPU profile (node --cpu-prof), by self time, as shares of the busy (non-idle) time.
//   BENCH_BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx tsx tools/bench/src/main.ts broker
//   npx tsx tools/bench/src/cpu-profile-top.ts /tmp/prof/CPU.*.cpuprofile [count]
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  ms: number;
  /** Share of the busy time (everything but `(idle)`). */
  share: number;
}

export function hotspots(profile: CpuProfile): { busyMs: number; idleMs: number; top: Hotspot[] } {
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where}`;
    self.set(name, (self.get(name) ?? 0) + (sampled.get(n.id) ?? 0));
  }
  const idleMs = (self.get('(idle)') ?? 0) / 1000;
  self.delete('(idle)');
  const busyMs = [...self.values()].reduce((a, b) => a + b, 0) / 1000;
  const top = [...self]
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / 1000 / busyMs }))
    .sort((a, b) => b.ms - a.ms);
  return { busyMs, idleMs, top };
}

function main(): void {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    console.log('usage: tsx tools/bench/src/cpu-profile-top.ts <file.cpuprofile> [count]');
    process.exitCode = 1;
    return;
  }
  const { busyMs, idleMs, top } = hotspots(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`busy ${busyMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms\n`);
  for (const h of top.slice(0, Number(count ?? 20))) {
    console.log(`${h.ms.toFixed(0).padStart(7)} ms ${(100 * h.share).toFixed(1).padStart(5)}%  ${h.name}`);
  }
}

if (require.main === module) main();
