// Durability across a crash: a broker process is killed with SIGKILL while a kafkajs producer with acks=all is
// writing; after a restart on the same data directory every acknowledged record is there, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKey, decodeRecordBatches } from '@tributary/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, startBrokerProcess } from './support/broker-process';
import { WireClient } from './support/wire-client';

jest.setTimeout(90_000);

async function readAll(port: number, topic: string, partition: number): Promise<Map<bigint, string>> {
  const client = await WireClient.connect(port);
  const out = new Map<bigint, string>();
  let offset = 0n;
  try {
    for (;;) {
      const res = await client.send(ApiKey.Fetch, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 4 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const p = res.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      const { batches } = decodeRecordBatches(p.records ?? Buffer.alloc(0));
      const before = offset;
      for (const b of batches) for (const r of b.records) if (r.offset >= offset) out.set(r.offset, r.value!.toString());
      if (out.size > 0) offset = [...out.keys()].reduce((a, b) => (a > b ? a : b)) + 1n;
      if (offset === before || offset >= p.highWatermark) break;
    }
  } finally {
    client.close();
  }
  return out;
}

describe('crash safety', () => {
  it('keeps every record acknowledged with acks=all when the broker is killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-crash-'));
    const port = await freePort();
    try {
      let broker = await startBrokerProcess({ port, dataDir });
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const acked = new Map<bigint, string>();
      let stop = false;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const values = Array.from({ length: 20 }, (_, j) => `w${w}-${i}-${j}`);
          try {
            const [r] = await producer.send({ topic: 'crash', acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
            values.forEach((v, j) => acked.set(BigInt(r.baseOffset!) + BigInt(j), v));
          } catch {
            return; // the broker is gone
          }
        }
      });
      await new Promise((r) => setTimeout(r, 1500));
      await broker.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await producer.disconnect().catch(() => undefined);
      expect(acked.size).toBeGreaterThan(100);

      broker = await startBrokerProcess({ port, dataDir });
      try {
        const stored = await readAll(port, 'crash', 0);
        for (const [offset, value] of acked) expect(stored.get(offset)).toBe(value);
        // Offsets are dense from 0: no gap, no torn record served.
        const offsets = [...stored.keys()].sort((a, b) => (a < b ? -1 : 1));
        offsets.forEach((o, i) => expect(o).toBe(BigInt(i)));
      } finally {
        await broker.kill('SIGTERM');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
