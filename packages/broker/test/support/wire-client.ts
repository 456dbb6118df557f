// A minimal raw Kafka client for tests: sends requests at exact versions (ones real clients do not send, or
// malformed ones) and decodes the responses with the protocol package. Responses are matched by correlation id.
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '@tributary/protocol';

export class WireClient {
  private buffered = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly waiting = new Map<number, (frame: Buffer) => void>();
  private closedError: Error | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(0, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const correlationId = frame.readInt32BE(4);
        this.waiting.get(correlationId)?.(frame);
        this.waiting.delete(correlationId);
      }
    });
    socket.on('close', () => {
      this.closedError = new Error('connection closed by the broker');
      for (const w of this.waiting.values()) w(Buffer.alloc(0));
      this.waiting.clear();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a request and resolves with the decoded response body. */
  async send<T = any>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const frame = await this.sendRaw(encodeRequest(apiKey, apiVersion, this.nextCorrelationId, 'wire-test', body as any));
    return decodeResponse(frame, apiKey, apiVersion).body as T;
  }

  /** Sends raw bytes (a complete size-prefixed frame whose correlation id is the next one) and resolves with the response frame. */
  sendRaw(frame: Buffer): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, (f) => (f.length === 0 ? reject(this.closedError) : resolve(f)));
      this.socket.write(frame);
    });
  }

  /** Writes bytes without expecting an answer. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when the broker closes the connection (or after timeoutMs with false). */
  waitForClose(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
