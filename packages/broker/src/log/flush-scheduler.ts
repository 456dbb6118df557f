// Group commit for every partition of the broker. A caller that needs durability (an acks=all append, a
// flush.messages/flush.ms trigger, a roll) asks for a flush of a segment and gets a promise that resolves once
// an fdatasync that STARTED AFTER the request has completed. Requests are batched per file:
//   - an idle file is synced on the next turn of the event loop (or after `windowMs`), so every append made in
//     the same turn, across all partitions, is covered by one fdatasync per dirty file, issued together;
//   - while a file's sync is in flight, new requests for it wait and share the single next sync, which starts
//     as soon as the current one finishes.
// So N concurrent acks=all appends to one partition cost about two fdatasyncs, not N. The sync function is
// injectable to count or slow it in tests.
import { defaultSync, type SyncFn } from './file-io';

/** Something the scheduler can make durable (a Segment). */
export interface Flushable {
  sync(syncFn: SyncFn): Promise<void>;
}

export interface FlushSchedulerOptions {
  sync?: SyncFn;
  /** Extra wait before starting a sync of an idle file, to gather more writers (0: next event-loop turn). */
  windowMs?: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface TargetState {
  inFlight: boolean;
  /** Waiters for the next sync of this target. */
  next: Deferred | undefined;
}

export class FlushScheduler {
  readonly syncFn: SyncFn;
  private readonly windowMs: number;
  private readonly states = new Map<Flushable, TargetState>();
  private readonly toStart = new Set<Flushable>();
  private startScheduled = false;
  /** Syncs issued (one per file per round). */
  syncCount = 0;

  constructor(opts: FlushSchedulerOptions = {}) {
    this.syncFn = opts.sync ?? defaultSync;
    this.windowMs = opts.windowMs ?? 0;
  }

  /** Resolves when a sync of target that started after this call has completed; rejects if that sync fails. */
  request(target: Flushable): Promise<void> {
    let st = this.states.get(target);
    if (!st) {
      st = { inFlight: false, next: undefined };
      this.states.set(target, st);
    }
    if (!st.next) st.next = deferred();
    const promise = st.next.promise;
    if (!st.inFlight) {
      this.toStart.add(target);
      this.scheduleStart();
    }
    return promise;
  }

  /** Number of files with a sync in flight or pending. */
  get busy(): number {
    return this.states.size;
  }

  private scheduleStart(): void {
    if (this.startScheduled) return;
    this.startScheduled = true;
    const run = (): void => {
      this.startScheduled = false;
      const targets = [...this.toStart];
      this.toStart.clear();
      for (const t of targets) this.start(t);
    };
    if (this.windowMs > 0) setTimeout(run, this.windowMs);
    else setImmediate(run);
  }

  private start(target: Flushable): void {
    const st = this.states.get(target);
    if (!st || st.inFlight || !st.next) return;
    const waiters = st.next;
    st.next = undefined;
    st.inFlight = true;
    this.syncCount++;
    let result: Promise<void>;
    try {
      result = target.sync(this.syncFn);
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      () => this.finish(target, st, waiters, undefined),
      (e) => this.finish(target, st, waiters, e ?? new Error('sync failed')),
    );
  }

  private finish(target: Flushable, st: TargetState, waiters: Deferred, error: unknown): void {
    st.inFlight = false;
    if (error === undefined) waiters.resolve();
    else waiters.reject(error);
    if (st.next) this.start(target); // writers that arrived during the sync share the next one, right away
    else this.states.delete(target);
  }
}
