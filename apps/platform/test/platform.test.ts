// `npm start` runs apps/platform: here it is started from its sources as a child process, as a user would run it,
// and a Kafka client uses the broker it brings up. Data goes to $TRIBUTARY_DATA_DIR (./data by default).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

jest.setTimeout(60_000);
const ROOT = path.resolve(__dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('apps/platform (npm start)', () => {
  it('starts the broker with embedded defaults under the data directory and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-platform-'));
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--conditions=tributary-source', '--import', 'tsx', 'apps/platform/src/main.ts', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`],
      { cwd: ROOT, env: { ...process.env, TRIBUTARY_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 40_000;
      while (!out.includes('platform ready')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`platform did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'platform-check', numPartitions: 2 }] });
      expect(await admin.listTopics()).toContain('platform-check');
      await admin.disconnect();
      expect(existsSync(path.join(dataDir, 'broker', 'platform-check-1'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'broker', 'meta.properties'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
