// Helpers for compatibility tests that drive programs we did not write (kcat, Python clients).
// tools/compat/install.sh installs them; a missing program fails the test with that hint.
import { execFile, spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3'; // Debian's python, which sees python3-confluent-kafka and python3-kafka

export function requireProgram(cmd: string, hint = 'run npm run compat:install'): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`]);
  if (r.status !== 0) throw new Error(`${cmd} is not installed: ${hint}`);
}

/** Runs a program with optional stdin; resolves with stdout, rejects with stderr on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Runs a Python script (source text) with Debian's python3; argv after the script. */
export function python(script: string, args: string[] = [], timeoutMs = 60_000): Promise<string> {
  return run(PYTHON, ['-c', script, ...args], { timeoutMs });
}
