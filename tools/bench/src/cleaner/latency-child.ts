// The cleaner benchmark's produce-latency client, in its own process so that its clock and timers do not share the
// broker's event loop: single-record produce requests (acks=1) at a fixed rate (open loop: every millisecond the
// requests due by then are sent), until "stop" arrives on stdin or `seconds` pass. Prints "ready" once the first
// request was answered, then at the end one JSON line: { sent, samples: [[sentAtEpochMs, latencyMs], ...] }.
//   node --import tsx tools/bench/src/cleaner/latency-child.ts <port> <topic> <rate per s> <seconds>
import { FrameClient } from '../broker/frame-client';
import { checkProduceResponse, produceFrame } from '../broker/wire';

async function main(): Promise<void> {
  const [port, topic, rate, seconds] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const client = await FrameClient.connect(port);
  const frame = produceFrame(topic, 0, 1, 100, 1).frame;
  checkProduceResponse(await client.send(frame)); // warm: connected and answered
  process.stdout.write('ready\n');
  const samples: [number, number][] = [];
  let stop = false;
  process.stdin.on('data', (d) => {
    if (d.toString().includes('stop')) stop = true;
  });
  const start = performance.now();
  const epochAtStart = Date.now();
  let sent = 0;
  let error: unknown;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (stop || elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsed * rate) / 1000) - sent;
      if (due <= 0) return;
      const sentAt = epochAtStart + elapsed;
      client.sendMany(new Array<Buffer>(due).fill(frame), (r, ms) => {
        try {
          checkProduceResponse(r);
        } catch (e) {
          error ??= e;
        }
        samples.push([sentAt, ms]);
      });
      sent += due;
    }, 1);
  });
  const deadline = performance.now() + 30_000;
  while (samples.length < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  client.close();
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ sent, samples })}\n`);
  process.stdin.destroy();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
