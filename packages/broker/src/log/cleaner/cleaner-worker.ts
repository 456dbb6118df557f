// The cleaner's worker thread (log.cleaner.threads >= 1): runs CleanEngine sessions for the main thread's passes,
// one session per pass, so CRC checks, decompression, key hashing, filtering, recompression and their garbage
// stay off the event loop that serves produce and fetch. Segment files are read and the cleaned file written
// through descriptors the main thread opened (descriptors belong to the process). Messages:
//   { id, session, op: 'open', memoryBytes, chunkBytes, stop: SharedArrayBuffer } | { id, session, op: 'close' } |
//   { id, session, op: 'scanTransactions' | 'buildMap' | 'filter', arg }
// answered by { id, result } or { id, error: { kind, message } }.
import { parentPort } from 'node:worker_threads';
import { CleanEngine } from './clean-engine';

export interface WorkerRequest {
  id: number;
  session: number;
  op: 'open' | 'close' | 'scanTransactions' | 'buildMap' | 'filter';
  arg?: unknown;
  memoryBytes?: number;
  chunkBytes?: number;
  stop?: SharedArrayBuffer;
}

export interface WorkerResponse {
  id: number;
  result?: unknown;
  error?: { kind: string; message: string };
}

const sessions = new Map<number, CleanEngine>();
const port = parentPort;

async function handle(m: WorkerRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  if (m.op === 'open') {
    sessions.set(m.session, new CleanEngine({ memoryBytes: m.memoryBytes!, chunkBytes: m.chunkBytes!, stop: new Int32Array(m.stop!), syncCodecs: true }));
    return { result: undefined, transfer: [] };
  }
  if (m.op === 'close') {
    sessions.delete(m.session);
    return { result: undefined, transfer: [] };
  }
  const engine = sessions.get(m.session);
  if (!engine) throw new Error(`no cleaner session ${m.session}`);
  const result = await (engine[m.op] as (arg: unknown) => Promise<unknown>)(m.arg);
  if (m.op !== 'filter') return { result, transfer: [] };
  const b = (result as { batches: { baseOffsets: BigInt64Array; lastOffsets: BigInt64Array; maxTimestamps: BigInt64Array; sizes: Int32Array } }).batches;
  return { result, transfer: [b.baseOffsets.buffer, b.lastOffsets.buffer, b.maxTimestamps.buffer, b.sizes.buffer] as ArrayBuffer[] };
}

if (port) {
  port.on('message', (m: WorkerRequest) => {
    handle(m).then(
      ({ result, transfer }) => port.postMessage({ id: m.id, result } satisfies WorkerResponse, transfer),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ id: m.id, error: { kind: err.constructor.name, message: err.message } } satisfies WorkerResponse);
      },
    );
  });
}
