// Child processes of the broker benchmark: the built broker (apps/broker/dist), the ceiling server, and the
// external clients (Python, kcat). Servers run in their own processes so that client and server never share one
// event loop; every one listens on 127.0.0.1 and is stopped by the benchmark that started it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { connect, createServer } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../../..');
export const BROKER_MAIN = path.join(ROOT, 'apps/broker/dist/main.js');
export const PYTHON = '/usr/bin/python3'; // Debian's python, which sees python3-confluent-kafka
export const PYTHON_DIR = path.join(ROOT, 'tools/bench/python');

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

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
  /** SIGTERM (graceful), then SIGKILL after 10 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Spawns a server process and waits until it accepts connections on `port`. */
export async function startServer(name: string, command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on ${port} within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    port,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The built broker (node apps/broker/dist/main.js) on 127.0.0.1:port with its log in dataDir. */
export function startBroker(port: number, dataDir: string, opts: { nodeArgs?: string[]; overrides?: Record<string, string> } = {}): Promise<ServerProcess> {
  if (!fs.existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
  const overrides = { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir, ...opts.overrides };
  const args = [...(opts.nodeArgs ?? []), BROKER_MAIN];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  return startServer('broker', process.execPath, args, port, { LOG_LEVEL: 'warn' });
}

/** The ceiling server (ceiling-server.ts, through tsx) on 127.0.0.1:port, writing its files into dir. */
export function startCeiling(port: number, dir: string): Promise<ServerProcess> {
  const script = path.join(__dirname, 'ceiling-server.ts');
  return startServer('ceiling server', process.execPath, ['--import', 'tsx', script, String(port), dir], port);
}

/** Runs a program to completion; resolves with stdout (rejects with stderr on failure or timeout). */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Runs tools/bench/python/<script> with Debian's python3 and parses the JSON line it prints last. */
export async function python<T>(script: string, args: string[], timeoutMs = 60_000): Promise<T> {
  const out = await run(PYTHON, [path.join(PYTHON_DIR, script), ...args], timeoutMs);
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** True when the broker app, the broker and the protocol package were built (tsc -b) after their last source change. */
export function brokerBuildIsFresh(): boolean {
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
    return t;
  };
  return ['apps/broker', 'packages/broker', 'packages/protocol'].every((project) => {
    const info = path.join(ROOT, project, 'dist/.tsbuildinfo');
    return fs.existsSync(info) && fs.statSync(info).mtimeMs >= newest(path.join(ROOT, project, 'src'));
  });
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
