// Transport: one client connection. Splits the byte stream into size-prefixed frames, hands each frame to
// the dispatcher, and writes responses strictly in request order while later requests are still being
// handled (pipelining). A frame whose size prefix exceeds `socket.request.max.bytes` (or is negative)
// closes the connection before anything is allocated for it. A dispatcher error closes this connection
// only; the broker keeps serving every other one.
//
// Memory stays bounded: at most `maxInFlight` requests are handled concurrently per connection and reading
// pauses while that many are pending or while the socket's write buffer is over its high-water mark (checked before
// every frame and after every write, so a client that stops reading stops being read).
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/**
 * What the dispatcher returns for one request: the encoded response frame(s), or null for no response. Frames that
 * borrow pooled memory come with `onWritten`, called exactly once: after every write of them has called back
 * (done or failed, so the socket no longer touches them), or when the response is dropped unwritten (connection
 * closed). It is never called while a write of them may still be in progress.
 */
export type ResponseFrames = Buffer | Buffer[] | BorrowedFrames | null;

export interface BorrowedFrames {
  frames: Buffer[];
  onWritten: () => void;
}

export interface FrameHandler {
  handle(frame: Buffer, connection: Connection): Promise<ResponseFrames>;
}

export interface ConnectionOptions {
  maxRequestBytes: number;
  maxInFlight: number;
  logger: Logger;
}

interface Slot {
  done: boolean;
  response: ResponseFrames;
}

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly remote: string;
  private readonly closing = new AbortController();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly pending: Slot[] = [];
  private closed = false;
  private paused = false;

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    private readonly opts: ConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // Every pipelined request parked on this connection (at most maxInFlight) listens for its close.
    setMaxListeners(opts.maxInFlight + 16, this.closing.signal);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => opts.logger.debug({ conn: this.id, remote: this.remote, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.closing.abort();
      this.chunks = [];
      this.buffered = 0;
      this.dropPending();
    });
  }

  /** Aborted when the connection closes, so handlers parked on it (Fetch long-polls) stop waiting. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes this connection (after a protocol violation); other connections are unaffected. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.opts.logger.warn({ conn: this.id, remote: this.remote }, `closing connection: ${reason}`);
    this.chunks = [];
    this.buffered = 0;
    this.socket.destroy();
    this.dropPending();
  }

  /** The connection closed: responses finished but never written give back their memory now, later ones on arrival. */
  private dropPending(): void {
    for (const slot of this.pending.splice(0)) if (slot.done) dropped(slot.response);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.readFrames();
  }

  /** extractFrames, where a bug costs this connection, not the process (it runs in socket event listeners). */
  private readFrames(): void {
    try {
      this.extractFrames();
    } catch (err) {
      this.close(`transport error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, Math.min(this.buffered, 8));
    return head.readInt32BE(0);
  }

  /** Removes exactly n bytes from the front of the buffered chunks; copies only when a frame spans chunks. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0); // an empty frame: the prefix may have been the last buffered byte
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - copied);
      c.copy(out, copied, 0, k);
      copied += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  private extractFrames(): void {
    while (!this.closed && !this.paused) {
      if (this.mustWait()) {
        this.pause();
        return;
      }
      if (this.buffered < 4) return;
      const size = this.peekSize();
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.close(`frame size ${size} outside [0, ${this.opts.maxRequestBytes}] (socket.request.max.bytes)`);
        return;
      }
      if (this.buffered < 4 + size) return;
      this.take(4);
      this.dispatch(this.take(size));
    }
  }

  /**
   * Reading waits while the in-flight window is full or while responses are backing up in the socket (a client that
   * does not read): otherwise fast requests, answered at once, would never fill the window and responses would pile
   * up in memory without bound.
   */
  private mustWait(): boolean {
    return this.pending.length >= this.opts.maxInFlight || this.socket.writableNeedDrain;
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.pending.push(slot);
    this.handler.handle(frame, this).then(
      (response) => {
        if (this.closed) return dropped(response); // the slot went with the connection
        slot.response = response;
        slot.done = true;
        this.flush();
      },
      (err: unknown) => this.close(err instanceof Error ? err.message : String(err)),
    );
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.pending.length > 0 && this.pending[0].done) {
      const { response } = this.pending.shift()!;
      if (response === null) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      if (Array.isArray(response)) for (const b of response) this.socket.write(b);
      else if (Buffer.isBuffer(response)) this.socket.write(response);
      else writeBorrowed(this.socket, response);
    }
    if (wrote) this.socket.uncork();
    if (this.mustWait()) this.pause();
    else this.maybeResume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.mustWait()) return;
    this.paused = false;
    this.socket.resume();
    this.readFrames();
  }
}

/** Writes borrowed frames; onWritten runs when the last of the writes has called back (success or error). */
function writeBorrowed(socket: Socket, borrowed: BorrowedFrames): void {
  let left = borrowed.frames.length;
  if (left === 0) return borrowed.onWritten();
  const written = () => {
    if (--left === 0) borrowed.onWritten();
  };
  for (const b of borrowed.frames) socket.write(b, written);
}

/** A response that will never be written: borrowed memory goes back at once (nothing was handed to the socket). */
function dropped(response: ResponseFrames): void {
  if (response !== null && !Buffer.isBuffer(response) && !Array.isArray(response)) response.onWritten();
}
