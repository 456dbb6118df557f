// The benchmark's own "ideal client": size-prefixed frames over one TCP connection, pipelined, answered in order
// (the broker and the ceiling server both answer in request order), so a FIFO of waiters replaces correlation-id
// lookups. Response frames are reassembled with one copy at most, however many chunks they arrive in.
import { connect, type Socket } from 'node:net';

export class FrameClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly waiters: ((frame: Buffer) => void)[] = [];
  private head = 0;
  private error: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => {
      this.error ??= new Error('connection closed');
      const failed = this.waiters.splice(this.head);
      this.head = 0;
      this.waiters.length = 0;
      for (const w of failed) w(Buffer.alloc(0));
    });
  }

  /** Connects to 127.0.0.1:port; `hello` (the ceiling server's mode byte and arguments) is written first. */
  static connect(port: number, hello?: Buffer): Promise<FrameClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.off('error', reject);
        if (hello) s.write(hello);
        resolve(new FrameClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.waiters.length - this.head;
  }

  /** Sends one request frame (size prefix included); resolves with the whole response frame (size prefix included). */
  send(frame: Buffer): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.waiters.push((f) => (f.length === 0 ? reject(this.error) : resolve(f)));
      this.socket.write(frame);
    });
  }

  /** Sends several frames in one write (cork); resolves each with (response, milliseconds since this call). */
  sendMany(frames: Buffer[], onResponse: (response: Buffer, latencyMs: number) => void): void {
    if (this.error) throw this.error;
    const t0 = performance.now();
    this.socket.cork();
    for (const f of frames) {
      this.waiters.push((r) => {
        if (r.length > 0) onResponse(r, performance.now() - t0);
      });
      this.socket.write(f);
    }
    this.socket.uncork();
  }

  /** Writes raw bytes that get no response of their own. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const first = this.chunks[0];
      const size = (first.length >= 4 ? first : Buffer.concat(this.chunks, 4)).readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size);
      const w = this.waiters[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      w?.(frame);
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
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
    return out;
  }
}

export interface PumpResult {
  /** Requests answered. */
  responses: number;
  /** From the first send to the last response. */
  seconds: number;
}

/**
 * Closed loop: keeps `inFlight` requests outstanding, sending `frame()` each time one is answered, while `more()`
 * says so; then waits for the outstanding ones. `check` sees every response (and throws on an error).
 */
export function pump(client: FrameClient, frame: () => Buffer, inFlight: number, more: () => boolean, check?: (r: Buffer) => void): Promise<PumpResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let responses = 0;
    let outstanding = 0;
    let failed = false;
    const fail = (e: unknown) => {
      if (!failed) reject(e);
      failed = true;
    };
    const sendOne = (): void => {
      outstanding++;
      client.send(frame()).then(onResponse, fail);
    };
    const onResponse = (r: Buffer): void => {
      outstanding--;
      responses++;
      try {
        check?.(r);
      } catch (e) {
        return fail(e);
      }
      if (more()) sendOne();
      else if (outstanding === 0 && !failed) resolve({ responses, seconds: (performance.now() - start) / 1000 });
    };
    for (let i = 0; i < inFlight; i++) sendOne();
  });
}

/** A predicate for pump: true for `seconds` from now. */
export function forSeconds(seconds: number): () => boolean {
  const stopAt = performance.now() + seconds * 1000;
  return () => performance.now() < stopAt;
}

/**
 * One request in flight, for the read loops: socket reads land in one fixed buffer (net's `onread`) and each
 * response is assembled in a reused buffer, so reading allocates nothing per response. A response is valid until
 * the next request.
 */
export class ReadClient {
  private assembly = Buffer.allocUnsafe(1 << 20);
  private have = 0;
  private waiter: ((frame: Buffer | Error) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('error', (e) => this.waiter?.(e));
    socket.on('close', () => this.waiter?.(new Error('connection closed')));
  }

  static connect(port: number, hello?: Buffer): Promise<ReadClient> {
    return new Promise((resolve, reject) => {
      let client: ReadClient | undefined;
      const s = connect({
        host: '127.0.0.1',
        port,
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(1 << 20),
          callback: (n, buf) => {
            client!.onRead(buf as Buffer, n);
            return true;
          },
        },
      });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        if (hello) s.write(hello);
        client = new ReadClient(s);
        resolve(client);
      });
    });
  }

  request(frame: Buffer): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = (f) => {
        this.waiter = undefined;
        if (f instanceof Error) reject(f);
        else resolve(f);
      };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onRead(buf: Buffer, n: number): void {
    const data = buf.subarray(0, n);
    const need = this.have + n;
    if (need > this.assembly.length) {
      const total = this.have >= 4 ? 4 + this.assembly.readInt32BE(0) : 0;
      const bigger = Buffer.allocUnsafe(Math.max(need, total, 2 * this.assembly.length));
      this.assembly.copy(bigger, 0, 0, this.have);
      this.assembly = bigger;
    }
    data.copy(this.assembly, this.have);
    this.have = need;
    if (this.have < 4) return;
    const total = 4 + this.assembly.readInt32BE(0);
    if (this.have < total) return;
    if (this.have > total) return this.waiter?.(new Error('unexpected bytes after the response'));
    this.have = 0;
    this.waiter?.(this.assembly.subarray(0, total));
  }
}

/** A ceiling-server hello: the mode byte, and for 'R' the file to read. */
export function hello(mode: 'W' | 'S' | 'R', file?: string): Buffer {
  if (mode !== 'R') return Buffer.from(mode);
  const p = Buffer.from(file ?? '', 'utf8');
  const h = Buffer.allocUnsafe(3);
  h.write('R', 0);
  h.writeInt16BE(p.length, 1);
  return Buffer.concat([h, p]);
}
