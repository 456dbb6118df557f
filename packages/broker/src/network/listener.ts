// The TCP listener: accepts connections and tracks them so the broker can close them all on shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection, type FrameHandler } from './connection';

export interface ListenerOptions {
  host: string;
  port: number;
  maxRequestBytes: number;
  maxInFlight: number;
  logger: Logger;
}

export class Listener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly connections = new Set<Connection>();

  constructor(
    private readonly handler: FrameHandler,
    private readonly opts: ListenerOptions,
  ) {}

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      const conn = new Connection(socket, this.handler, this.opts);
      this.connections.add(conn);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.connections.delete(conn);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
