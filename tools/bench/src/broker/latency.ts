// Produce latency at a fixed rate (open loop): every millisecond, the requests due by then are sent together,
// single-record produce requests spread round-robin over the partitions; the latency of each is from its write to
// its response. An open loop keeps the rate fixed however slow the responses are, so a stall shows in the
// percentiles instead of silently lowering the rate.
import { FrameClient } from './frame-client';

export interface LatencyResult {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  /** Requests per second actually achieved. */
  rate: number;
}

export async function openLoopLatency(client: FrameClient, frames: Buffer[], rate: number, seconds: number, check: (r: Buffer) => void): Promise<LatencyResult> {
  const latencies: number[] = [];
  let sent = 0;
  let next = 0;
  let error: unknown;
  const onResponse = (r: Buffer, ms: number) => {
    try {
      check(r);
    } catch (e) {
      error ??= e;
    }
    latencies.push(ms);
  };
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed * rate) / 1000), Math.floor(seconds * rate)) - sent;
      if (due > 0) {
        const batch: Buffer[] = [];
        for (let i = 0; i < due; i++) {
          batch.push(frames[next]);
          next = (next + 1) % frames.length;
        }
        client.sendMany(batch, onResponse);
        sent += due;
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const deadline = performance.now() + 30_000;
  while (latencies.length < sent && performance.now() < deadline && !error) await new Promise((r) => setTimeout(r, 5));
  if (error) throw error;
  if (latencies.length < sent) throw new Error(`${sent - latencies.length} of ${sent} requests were not answered`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { sent, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1], rate: sent / seconds };
}
