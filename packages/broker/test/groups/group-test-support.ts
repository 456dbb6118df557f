// Helpers shared by the consumer-group tests: polling, a kafkajs consumer that records what it consumed and what
// it was assigned, and small encoders for the consumer protocol used by the wire-level tests.
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function kafkajs(bootstrap: string, clientId = 'groups-test'): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 } });
}

export interface Consumed {
  member: string;
  topic: string;
  partition: number;
  offset: string;
  value: string;
}

export interface RecordingConsumer {
  consumer: Consumer;
  name: string;
  /** The partitions of the latest assignment (from GROUP_JOIN events). */
  assigned: () => Record<string, number[]>;
  memberId: () => string | undefined;
  stop(): Promise<void>;
}

/** A kafkajs consumer of `topic` (from the beginning) that appends everything it consumes to `sink`. */
export async function startConsumer(
  client: Kafka,
  opts: { groupId: string; topic: string; name: string; sink: Consumed[]; sessionTimeout?: number; rebalanceTimeout?: number },
): Promise<RecordingConsumer> {
  const consumer = client.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeout ?? 6000,
    rebalanceTimeout: opts.rebalanceTimeout ?? 10_000,
    heartbeatInterval: 100,
    maxWaitTimeInMs: 100,
    retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 },
  });
  let assigned: Record<string, number[]> = {};
  let memberId: string | undefined;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = e.payload.memberAssignment;
    memberId = e.payload.memberId;
  });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
      opts.sink.push({ member: opts.name, topic, partition, offset: message.offset, value: message.value?.toString() ?? '' });
    },
  });
  return {
    consumer,
    name: opts.name,
    assigned: () => assigned,
    memberId: () => memberId,
    stop: () => consumer.disconnect(),
  };
}

/** Values consumed more than once. */
export function duplicates(consumed: readonly Consumed[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const c of consumed) {
    if (seen.has(c.value)) dup.push(c.value);
    seen.add(c.value);
  }
  return dup;
}

/** A ConsumerProtocolSubscription v0 (int16 version, topics, null user data), as consumers send in JoinGroup. */
export function subscription(...topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0])];
  const n = Buffer.alloc(4);
  n.writeInt32BE(topics.length);
  parts.push(n);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}
