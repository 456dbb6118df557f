// Runs the broker app (apps/broker) as a child process from its TypeScript sources, for tests that must kill
// it (SIGKILL) or restart it. Workspace packages resolve to src through the `tributary-source` export condition.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface BrokerProcess {
  child: ChildProcess;
  port: number;
  bootstrap: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startBrokerProcess(opts: { port: number; dataDir: string; overrides?: Record<string, string> }): Promise<BrokerProcess> {
  const args = ['--conditions=tributary-source', '--import', 'tsx', path.join(ROOT, 'apps/broker/src/main.ts')];
  const overrides = { listeners: `PLAINTEXT://127.0.0.1:${opts.port}`, 'log.dirs': opts.dataDir, ...opts.overrides };
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}:\n${out}`);
    if (await canConnect(opts.port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`broker did not listen on ${opts.port} within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port: opts.port,
    bootstrap: `127.0.0.1:${opts.port}`,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
