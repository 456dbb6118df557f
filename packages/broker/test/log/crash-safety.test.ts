import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { LogManager } from '../../src/log';
import { decodeBatches } from './record-batch-builder';
import { CapturingLogger, removeDir, tempDir } from './log-test-support';

const ROOT = path.resolve(__dirname, '../../../..');
const FIXTURES = path.join(__dirname, 'fixtures');

/** Runs the appending child until it has acknowledged `acks` appends, then SIGKILLs it; returns acked ranges. */
function runAndKill(dataDir: string, acks: number): Promise<[bigint, bigint][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'crash-child.ts'), dataDir], {
      cwd: ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(FIXTURES, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: [bigint, bigint][] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ACK (\d+) (\d+)$/.exec(line);
        if (m) acked.push([BigInt(m[1]), BigInt(m[2])]);
      }
      if (!killed && acked.length >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

test('every offset acknowledged with acks=all before a SIGKILL is there after reopening', async () => {
  const dataDir = tempDir('tributary-crash-');
  try {
    let expectedEnd = 0n;
    for (const round of [300, 500]) {
      const acked = await runAndKill(dataDir, round);
      expect(acked.length).toBeGreaterThanOrEqual(round);
      const logger = new CapturingLogger();
      const mgr = await LogManager.open({ dataDir, logger, brokerConfig: { 'log.retention.check.interval.ms': '0' } });
      const log = mgr.log('crash', 0)!;
      const maxAcked = acked.reduce((m, [, last]) => (last > m ? last : m), -1n);
      expect(log.logEndOffset).toBeGreaterThan(maxAcked);
      expect(log.logEndOffset).toBeGreaterThanOrEqual(expectedEnd);
      const seen = new Set<bigint>();
      for (let o = 0n; o < log.logEndOffset; ) {
        const batches = decodeBatches((await log.read(o, 1 << 20)).records);
        for (const b of batches) {
          expect(b.crcValid).toBe(true);
          for (const r of b.records) seen.add(r.offset);
        }
        o = batches[batches.length - 1].lastOffset + 1n;
      }
      for (const [base, last] of acked) for (let o = base; o <= last; o++) expect(seen.has(o)).toBe(true);
      expect(log.segments.length).toBeGreaterThan(1);
      expectedEnd = log.logEndOffset;
      await mgr.close();
    }
  } finally {
    removeDir(dataDir);
  }
}, 60_000);
