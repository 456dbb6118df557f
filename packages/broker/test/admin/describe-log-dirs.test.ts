import * as path from 'node:path';
import { ApiKey, createDescribeLogDirsRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { RawClient, kafkajs, platformaticAdmin, produce, uniqueTopic } from './admin-support';

describe('DescribeLogDirs', () => {
  let broker: TestBroker;
  let raw: RawClient;
  let [a, b] = ['', ''];
  beforeAll(async () => {
    broker = await createTestBroker();
    raw = await RawClient.connect(broker.port);
    [a, b] = [uniqueTopic(), uniqueTopic()];
    await broker.broker.logs.createTopic(a, { partitions: 2 });
    await broker.broker.logs.createTopic(b, { partitions: 1 });
    await produce(kafkajs(broker), a, 1, 3);
  });
  afterAll(async () => {
    raw.close();
    await broker.close();
  });

  it('lists the one log directory with every partition (topics null), sizes from disk, no lag, no future logs', async () => {
    const res = await raw.send(ApiKey.DescribeLogDirs, 1, createDescribeLogDirsRequest({ topics: null }));
    expect(res.results).toHaveLength(1);
    const dir = res.results[0];
    expect(dir).toMatchObject({ errorCode: 0, logDir: path.resolve(broker.dataDir) });
    const topics = Object.fromEntries(dir.topics.map((t) => [t.name, t.partitions]));
    expect(topics[a]).toEqual([
      { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
      { partitionIndex: 1, partitionSize: BigInt(broker.broker.logs.log(a, 1)!.size), offsetLag: 0n, isFutureKey: false },
    ]);
    expect(topics[a][1].partitionSize).toBeGreaterThan(0n);
    expect(topics[b]).toHaveLength(1);
  });

  it('reports only the requested partitions and leaves out topics with none of them', async () => {
    const res = await raw.send(
      ApiKey.DescribeLogDirs,
      3,
      createDescribeLogDirsRequest({ topics: [{ topic: a, partitions: [1, 9] }, { topic: 'never-created', partitions: [0] }] }),
    );
    expect(res.errorCode).toBe(0);
    expect(res.results[0].topics).toEqual([{ name: a, partitions: [expect.objectContaining({ partitionIndex: 1 })] }]);
  });

  it('v4 reports the volume total and usable bytes (@platformatic/kafka)', async () => {
    const plt = platformaticAdmin(broker);
    try {
      const [described] = await plt.describeLogDirs({ topics: [{ name: a, partitions: [0, 1] }] });
      expect(described.broker).toBe(broker.broker.nodeId);
      const result = described.results[0];
      expect(result.logDir).toBe(path.resolve(broker.dataDir));
      expect(result.totalBytes).toBeGreaterThan(0n);
      expect(result.usableBytes).toBeGreaterThan(0n);
      expect(result.usableBytes).toBeLessThanOrEqual(result.totalBytes);
      expect(result.topics.map((t) => [t.name, t.partitions.length])).toEqual([[a, 2]]);
    } finally {
      await plt.close();
    }
  });
});
