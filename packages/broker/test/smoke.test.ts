import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { Kafka, logLevel } from 'kafkajs';

describe('broker with kafkajs', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    kafka = await createTestBroker();
  });
  afterAll(async () => kafka.close());

  it('creates a topic by metadata, produces and reads back offsets', async () => {
    const client = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const producer = client.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const res = await producer.send({ topic: 'smoke', acks: -1, messages: [{ key: 'k', value: 'v1' }, { value: 'v2' }] });
    expect(res[0]).toMatchObject({ topicName: 'smoke', partition: 0, errorCode: 0, baseOffset: '0' });
    const res2 = await producer.send({ topic: 'smoke', acks: 1, messages: [{ value: 'v3' }] });
    expect(res2[0].baseOffset).toBe('2');
    await producer.disconnect();
  });
});
