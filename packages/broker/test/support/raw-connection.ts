// A raw socket to the broker for tests that need to see exactly which response frames arrive and in which order
// (pipelining, acks=0, malformed input): every complete response frame is recorded with its correlation id, and
// the test decides what to write and when. WireClient (wire-client.ts) is the request/response counterpart.
import { connect, type Socket } from 'node:net';

export interface ResponseFrame {
  correlationId: number;
  /** The whole frame, size prefix included (what decodeResponse takes). */
  frame: Buffer;
}

export class RawConnection {
  readonly frames: ResponseFrame[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = Buffer.from(this.buffered.subarray(0, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
        this.frames.push({ correlationId: frame.readInt32BE(4), frame });
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves once `n` frames have arrived; rejects on timeout or when the connection closes first. */
  async waitForFrames(n: number, timeoutMs = 10_000): Promise<ResponseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < n) {
      if (this.closedFlag) throw new Error(`connection closed after ${this.frames.length} of ${n} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${this.frames.length} of ${n} frames`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.slice(0, n);
  }

  /** Resolves true when the broker closes the connection within timeoutMs, false otherwise. */
  async waitForClose(timeoutMs = 5000): Promise<boolean> {
    if (this.closedFlag) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const r = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
