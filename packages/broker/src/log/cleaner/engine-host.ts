// Where a pass's CleanEngine runs. `log.cleaner.threads` = 0: on the event loop (every step still yields between
// 1 MiB chunks). >= 1 (the default, 1): in one worker thread shared by every LogCleaner of the process, started on
// the first pass and kept (unreferenced while idle, so it never holds the process open). Running from TypeScript
// sources (tests, tsx), the worker registers tsx itself and resolves workspace packages to their sources. Errors
// keep their kind across the thread boundary; a worker that dies fails its passes and is replaced on the next one.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CleanEngine, type FilterRequest, type FilterResult, type MapRequest, type MapResult, type ScanResult } from './clean-engine';
import type { WorkerRequest, WorkerResponse } from './cleaner-worker';
import { CleanerStoppedError, CleaningError, SegmentGoneError, type SourceFile } from './segment-reader';

export interface Engine {
  scanTransactions(files: SourceFile[]): Promise<ScanResult>;
  buildMap(req: MapRequest): Promise<MapResult>;
  filter(req: FilterRequest): Promise<FilterResult>;
  close(): Promise<void>;
}

export interface EngineSettings {
  memoryBytes: number;
  chunkBytes: number;
  /** [0] set to 1 stops the pass; a SharedArrayBuffer so the worker sees it. */
  stop: Int32Array;
}

export function localEngine(settings: EngineSettings): Engine {
  const engine = new CleanEngine(settings);
  return {
    scanTransactions: (files) => engine.scanTransactions(files),
    buildMap: (req) => engine.buildMap(req),
    filter: (req) => engine.filter(req),
    close: async () => undefined,
  };
}

interface Shared {
  worker: Worker;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

let shared: Shared | undefined;
let nextId = 1;
let nextSession = 1;

const ERRORS: Record<string, new (message: string) => Error> = { CleaningError, SegmentGoneError };

/** The worker thread failed (not the partition): the pass is retried on the next round, in a new worker. */
export class WorkerFailedError extends Error {}

function startWorker(): Shared {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `cleaner-worker${ext}`);
  const worker =
    ext === '.ts'
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(file)});`, {
          eval: true,
          execArgv: ['--conditions=tributary-source'],
        })
      : new Worker(file);
  worker.unref();
  const s: Shared = { worker, pending: new Map() };
  const failAll = (e: Error): void => {
    if (shared === s) shared = undefined;
    for (const p of s.pending.values()) p.reject(e);
    s.pending.clear();
  };
  worker.on('message', (m: WorkerResponse) => {
    const p = s.pending.get(m.id);
    if (!p) return;
    s.pending.delete(m.id);
    if (s.pending.size === 0) worker.unref();
    if (!m.error) return p.resolve(m.result);
    if (m.error.kind === 'CleanerStoppedError') return p.reject(new CleanerStoppedError());
    const Kind = ERRORS[m.error.kind] ?? Error;
    p.reject(new Kind(m.error.message));
  });
  worker.on('error', (e) => failAll(new WorkerFailedError(`the cleaner worker failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new WorkerFailedError(`the cleaner worker exited with code ${code}`)));
  return s;
}

function call(s: Shared, req: Omit<WorkerRequest, 'id'>): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    s.pending.set(id, { resolve, reject });
    s.worker.ref(); // a pass in flight keeps the process alive, as the same work on the event loop would
    s.worker.postMessage({ ...req, id });
  });
}

/** Opens a session in the shared worker (starting it if needed); resolves once the worker is running it. */
export async function workerEngine(settings: EngineSettings): Promise<Engine> {
  shared ??= startWorker();
  const s = shared;
  const session = nextSession++;
  if (!(settings.stop.buffer instanceof SharedArrayBuffer)) throw new Error('the stop flag of a worker engine must be shared');
  await call(s, { session, op: 'open', memoryBytes: settings.memoryBytes, chunkBytes: settings.chunkBytes, stop: settings.stop.buffer });
  return {
    scanTransactions: (files) => call(s, { session, op: 'scanTransactions', arg: files }) as Promise<ScanResult>,
    buildMap: (req) => call(s, { session, op: 'buildMap', arg: req }) as Promise<MapResult>,
    filter: (req) => call(s, { session, op: 'filter', arg: req }) as Promise<FilterResult>,
    close: () => call(s, { session, op: 'close' }).then(() => undefined, () => undefined),
  };
}
