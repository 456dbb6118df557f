// The ceiling of the broker benchmark: a plain Node TCP server doing only the unavoidable work, run as its own
// process like the broker.   node --import tsx ceiling-server.ts <port> <dir>
//
// A connection's first byte picks its mode:
//   'W'  size-prefixed frames (the same produce request frames the broker gets) are appended to a file of their
//        own (removed when the connection closes) with one positional writeSync each and answered with a 64-byte
//        ack at once (the acks=1 path);
//   'S'  the same, but acks wait for an fdatasync that started after the write, group-committed as the broker's
//        FlushScheduler does: the first waiter schedules a sync on the next event-loop turn (setImmediate), writers
//        arriving while it runs share the next one, started as soon as it completes (the acks=all path);
//   'R'  followed by int16 length + a file path; then 12-byte requests (int64 position, int32 maxBytes), each
//        answered with int32 length + that range of the file, read with fs.read into a new buffer (the fetch path).
import * as fs from 'node:fs';
import { createServer, type Socket } from 'node:net';
import * as path from 'node:path';

const ACK_BYTES = 64;

class Chunks {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  int32(): number {
    const first = this.chunks[0];
    return first.length >= 4 ? first.readInt32BE(0) : Buffer.concat(this.chunks, 4).readInt32BE(0);
  }
  /** Removes n bytes from the front; a view when they lie in one chunk, a copy otherwise. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.length -= n;
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
    this.length -= n;
    return out;
  }
}

let files = 0;

function serveWrites(socket: Socket, input: Chunks, dir: string, sync: boolean): void {
  const file = path.join(dir, `ceiling-${process.pid}-${files++}.dat`);
  const fd = fs.openSync(file, 'w');
  let position = 0;
  let syncing = false;
  let syncScheduled = false;
  let waiting: Buffer[] = []; // acks for the next sync
  const ack = (frame: Buffer): Buffer => {
    const a = Buffer.alloc(ACK_BYTES);
    a.writeInt32BE(ACK_BYTES - 4, 0);
    frame.copy(a, 4, 4, 8); // the correlation id
    return a;
  };
  const send = (acks: Buffer[]) => {
    socket.cork();
    for (const a of acks) socket.write(a);
    socket.uncork();
  };
  const startSync = () => {
    syncScheduled = false;
    const acks = waiting;
    waiting = [];
    syncing = true;
    fs.fdatasync(fd, (err) => {
      syncing = false;
      if (err) throw err;
      if (!socket.destroyed) send(acks);
      if (waiting.length > 0) startSync();
    });
  };
  const onFrames = () => {
    const acks: Buffer[] = [];
    while (input.length >= 4) {
      const size = input.int32();
      if (input.length < 4 + size) break;
      input.take(4);
      const frame = input.take(size);
      let done = 0;
      while (done < frame.length) done += fs.writeSync(fd, frame, done, frame.length - done, position + done);
      position += frame.length;
      acks.push(ack(frame));
    }
    if (acks.length === 0) return;
    if (!sync) return send(acks);
    waiting.push(...acks);
    if (!syncing && !syncScheduled) {
      syncScheduled = true;
      setImmediate(startSync);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    input.push(chunk);
    onFrames();
  });
  socket.on('close', () => {
    // removed at once, so its dirty pages are dropped rather than written back while later runs measure
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  });
  onFrames();
}

function serveReads(socket: Socket, input: Chunks): void {
  let fd: number | undefined;
  let busy = false;
  const next = () => {
    if (busy) return;
    if (fd === undefined) {
      if (input.length < 2) return;
      const len = input.int32() >>> 16;
      if (input.length < 2 + len) return;
      input.take(2);
      fd = fs.openSync(input.take(len).toString('utf8'), 'r');
    }
    if (input.length < 12) return;
    const req = input.take(12);
    const position = Number(req.readBigInt64BE(0));
    const max = req.readInt32BE(8);
    const buf = Buffer.allocUnsafe(max);
    busy = true;
    fs.read(fd, buf, 0, max, position, (err, n) => {
      busy = false;
      if (err) throw err;
      const head = Buffer.allocUnsafe(4);
      head.writeInt32BE(n, 0);
      socket.cork();
      socket.write(head);
      socket.write(buf.subarray(0, n));
      socket.uncork();
      next();
    });
  };
  socket.on('data', (chunk: Buffer) => {
    input.push(chunk);
    next();
  });
  socket.on('close', () => fd !== undefined && fs.closeSync(fd));
  next();
}

function main(): void {
  const port = Number(process.argv[2]);
  const dir = process.argv[3];
  fs.mkdirSync(dir, { recursive: true });
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const input = new Chunks();
    const onFirst = (chunk: Buffer) => {
      socket.off('data', onFirst);
      const mode = String.fromCharCode(chunk[0]);
      input.push(chunk.subarray(1));
      if (mode === 'W' || mode === 'S') serveWrites(socket, input, dir, mode === 'S');
      else if (mode === 'R') serveReads(socket, input);
      else socket.destroy();
    };
    socket.on('data', onFirst);
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}

main();
