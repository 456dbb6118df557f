// Test support for the admin APIs: a raw Kafka client over a socket (for versions neither kafkajs nor
// @platformatic/kafka sends), kafkajs and platformatic clients pointed at a test broker, and a producer helper.
import * as net from 'node:net';
import { decodeResponse, encodeRequest, type ApiMessages } from '@tributary/protocol';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import type { TestBroker } from '@tributary/broker/testing';

type Req<K extends keyof ApiMessages> = ApiMessages[K]['request'];
type Res<K extends keyof ApiMessages> = ApiMessages[K]['response'];

/** One connection speaking the Kafka protocol with the generated codecs; requests are answered in order. */
export class RawClient {
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, (frame: Buffer) => void>();
  private nextCorrelationId = 1;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const size = this.buffer.readInt32BE(0);
        if (this.buffer.length < 4 + size) break;
        const frame = this.buffer.subarray(0, 4 + size);
        this.buffer = this.buffer.subarray(4 + size);
        const id = frame.readInt32BE(4);
        this.pending.get(id)?.(frame);
        this.pending.delete(id);
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `body` (fields not given take the codec's defaults via `defaults`) and returns the decoded response. */
  send<K extends keyof ApiMessages>(apiKey: K, apiVersion: number, body: Req<K>): Promise<Res<K>> {
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, apiVersion, correlationId, 'raw-admin-test', body);
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error(`connection closed before the response to ${apiKey} v${apiVersion}`));
      this.socket.once('close', onClose);
      this.pending.set(correlationId, (response) => {
        this.socket.off('close', onClose);
        try {
          resolve(decodeResponse(response, apiKey, apiVersion).body as Res<K>);
        } catch (err) {
          reject(err);
        }
      });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function kafkajs(broker: TestBroker): Kafka {
  return new Kafka({ clientId: 'admin-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

export function platformaticAdmin(broker: TestBroker): Admin {
  return new Admin({ clientId: 'admin-test', bootstrapBrokers: [broker.bootstrap], retries: 0 });
}

/** Appends `count` single-record batches to a partition through kafkajs (acks=all). */
export async function produce(client: Kafka, topic: string, partition: number, count: number): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < count; i++) await producer.send({ topic, acks: -1, messages: [{ partition, key: `key-${i}`, value: `record-${i}` }] });
  } finally {
    await producer.disconnect();
  }
}

let counter = 0;
/** A topic name unique within the test run. */
export function uniqueTopic(prefix = 'admin'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}
