// kafkajs in the benchmark: produce throughput with `concurrency` send() calls in flight, each one batch of `batch`
// records of `size` bytes (null keys, no compression) to partition 0, refilled as they complete, for about
// `seconds`; and DeleteTopics between runs, so the broker drops the files of finished runs.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Message } from 'kafkajs';

export interface ClientProduceResult {
  records: number;
  bytes: number;
  seconds: number;
}

const client = (port: number) => new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });

export async function kafkajsProduce(
  port: number,
  topic: string,
  opts: { size: number; acks: -1 | 1; batch: number; concurrency: number; seconds: number },
): Promise<ClientProduceResult> {
  const producer = client(port).producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: opts.concurrency });
  await producer.connect();
  try {
    const value = randomBytes(opts.size);
    const messages: Message[] = Array.from({ length: opts.batch }, () => ({ value, partition: 0 }));
    const send = () => producer.send({ topic, acks: opts.acks, messages });
    await send(); // metadata and connection, outside the timed part
    let records = 0;
    const start = performance.now();
    const stopAt = start + opts.seconds * 1000;
    const worker = async () => {
      while (performance.now() < stopAt) {
        await send();
        records += opts.batch;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    return { records, bytes: records * opts.size, seconds };
  } finally {
    await producer.disconnect();
  }
}

export async function deleteTopics(port: number, topics: string[]): Promise<void> {
  const admin = client(port).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
