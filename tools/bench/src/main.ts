// Benchmark runner: `tsx tools/bench/src/main.ts <name>` runs one named benchmark, no name lists them.
// Each benchmark prints its figures next to a ceiling measured in the same run (see harness.ts).
import { main as broker } from './broker-bench';
import { main as cleaner } from './cleaner-bench';
import { main as protocol } from './protocol-bench';

const BENCHMARKS: Record<string, { run: () => void | Promise<void>; about: string }> = {
  broker: { run: broker, about: 'produce/consume throughput and produce latency of the built broker vs a plain-server ceiling' },
  cleaner: { run: cleaner, about: 'log cleaner throughput on a ~200 MB compacted partition, produce latency while it runs' },
  protocol: { run: protocol, about: 'record batches (validate, decode, encode), CRC32C, compression codecs' },
};

const name = process.argv[2];
const bench = name === undefined ? undefined : BENCHMARKS[name];
if (!bench) {
  console.log(`usage: tsx tools/bench/src/main.ts <benchmark>\n`);
  for (const [n, b] of Object.entries(BENCHMARKS)) console.log(`  ${n.padEnd(12)} ${b.about}`);
  process.exitCode = name === undefined ? 0 : 1;
} else {
  Promise.resolve()
    .then(() => bench.run())
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exitCode = 1;
    });
}
