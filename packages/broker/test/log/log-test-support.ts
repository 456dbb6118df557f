// Test support for the log layer: temp directories, a counting/gating fsync, and a PartitionLog factory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlushScheduler, PartitionLog, defaultLogConfig, type LogConfig, type LogLogger, type SyncFn } from '../../src/log';

export function tempDir(prefix = 'tributary-log-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** An fsync that counts data and directory syncs and can be held open (gate) or made to fail. */
export class TestSync {
  dataSyncs = 0;
  fullSyncs = 0;
  delayMs = 0;
  fail: Error | undefined;
  private gates: (() => void)[] = [];
  gated = false;

  readonly fn: SyncFn = async (_fd, dataOnly) => {
    if (dataOnly) this.dataSyncs++;
    else this.fullSyncs++;
    if (this.gated) await new Promise<void>((r) => this.gates.push(r));
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw this.fail;
  };

  release(): void {
    this.gated = false;
    const g = this.gates;
    this.gates = [];
    for (const r of g) r();
  }
}

export class CapturingLogger implements LogLogger {
  warnings: string[] = [];
  infos: string[] = [];
  info(m: string): void {
    this.infos.push(m);
  }
  warn(m: string): void {
    this.warnings.push(m);
  }
}

export interface OpenOptions {
  config?: Partial<LogConfig>;
  sync?: TestSync;
  scheduler?: FlushScheduler;
  logger?: LogLogger;
  clock?: () => number;
}

export function openLog(dir: string, opts: OpenOptions = {}): Promise<PartitionLog> {
  const sync = opts.sync ?? new TestSync();
  return PartitionLog.open({
    dir,
    config: defaultLogConfig({ fileDeleteDelayMs: 0, ...opts.config }),
    scheduler: opts.scheduler ?? new FlushScheduler({ sync: sync.fn }),
    logger: opts.logger ?? new CapturingLogger(),
    clock: opts.clock,
  });
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public now = 1_700_000_000_000) {}
  readonly fn = (): number => this.now;
}
