import {
  ApiKey,
  ErrorCode,
  createDeleteRecordsRequest,
  createFetchRequest,
  createFetchRequestFetchPartition,
  createFetchRequestFetchTopic,
  readRecordBatchHeader,
} from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import type { Admin as KafkajsAdmin, Kafka } from 'kafkajs';
import { RawClient, kafkajs, platformaticAdmin, produce, uniqueTopic } from './admin-support';

describe('DeleteRecords', () => {
  let broker: TestBroker;
  let client: Kafka;
  let admin: KafkajsAdmin;
  let raw: RawClient;
  beforeAll(async () => {
    broker = await createTestBroker();
    client = kafkajs(broker);
    admin = client.admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    raw.close();
    await admin.disconnect();
    await broker.close();
  });
  const topicWith = async (records: number, configs: Record<string, string> = {}) => {
    const name = uniqueTopic();
    await broker.broker.logs.createTopic(name, { partitions: 1, configs });
    if (records) await produce(client, name, 0, records);
    return name;
  };
  const deleteV2 = (name: string, offset: bigint, partitionIndex = 0) =>
    raw.send(ApiKey.DeleteRecords, 2, createDeleteRecordsRequest({ topics: [{ name, partitions: [{ partitionIndex, offset }] }], timeoutMs: 1000 }));

  it('moves the low watermark with kafkajs: earliest offset follows, older offsets are out of range, later ones readable', async () => {
    const name = await topicWith(10);
    await admin.fetchTopicMetadata({ topics: [name] });
    await admin.deleteTopicRecords({ topic: name, partitions: [{ partition: 0, offset: '4' }] });
    expect(await admin.fetchTopicOffsets(name)).toEqual([{ partition: 0, offset: '10', high: '10', low: '4' }]);
    const fetchAt = async (fetchOffset: bigint) => {
      const res = await raw.send(
        ApiKey.Fetch,
        5,
        createFetchRequest({ maxBytes: 1 << 20, topics: [createFetchRequestFetchTopic({ topic: name, partitions: [createFetchRequestFetchPartition({ fetchOffset, partitionMaxBytes: 1 << 20 })] })] }),
      );
      return res.responses[0].partitions[0];
    };
    expect((await fetchAt(0n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const from4 = await fetchAt(4n);
    expect(from4).toMatchObject({ errorCode: 0, logStartOffset: 4n, highWatermark: 10n });
    expect(readRecordBatchHeader(from4.records!).baseOffset).toBe(4n);
  });

  it('answers the new low watermark; -1 means the high watermark; an older offset changes nothing', async () => {
    const name = await topicWith(6);
    expect((await deleteV2(name, 2n)).topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
    expect((await deleteV2(name, 1n)).topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
    expect((await deleteV2(name, -1n)).topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 6n, errorCode: 0 });
    expect(broker.broker.logs.log(name, 0)!.logStartOffset).toBe(6n);
  });

  it('refuses an offset past the high watermark (or below -1) with OFFSET_OUT_OF_RANGE', async () => {
    const name = await topicWith(3);
    expect((await deleteV2(name, 4n)).topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect((await deleteV2(name, -2n)).topics[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    await admin.fetchTopicMetadata({ topics: [name] });
    await expect(admin.deleteTopicRecords({ topic: name, partitions: [{ partition: 0, offset: '100' }] })).rejects.toMatchObject({
      cause: {
        name: 'KafkaJSDeleteTopicRecordsError',
        partitions: [expect.objectContaining({ partition: 0, error: expect.objectContaining({ type: 'OFFSET_OUT_OF_RANGE' }) })],
      },
    });
    expect(broker.broker.logs.log(name, 0)!.logStartOffset).toBe(0n);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION, POLICY_VIOLATION on compact-only topics, INVALID_TOPIC_EXCEPTION on internal topics', async () => {
    const compacted = await topicWith(0, { 'cleanup.policy': 'compact' });
    const both = await topicWith(2, { 'cleanup.policy': 'compact,delete' });
    if (!broker.broker.logs.topic('__consumer_offsets')) await broker.broker.logs.createTopic('__consumer_offsets', { partitions: 1 });
    const res = await raw.send(
      ApiKey.DeleteRecords,
      1,
      createDeleteRecordsRequest({
        topics: [
          { name: 'never-created', partitions: [{ partitionIndex: 0, offset: 0n }] },
          { name: compacted, partitions: [{ partitionIndex: 0, offset: 0n }, { partitionIndex: 5, offset: 0n }] },
          { name: both, partitions: [{ partitionIndex: 0, offset: 1n }] },
          { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 0n }] },
        ],
      }),
    );
    expect(res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])])).toEqual([
      ['never-created', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]],
      [compacted, [[0, ErrorCode.POLICY_VIOLATION, -1n], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]],
      [both, [[0, 0, 1n]]],
      ['__consumer_offsets', [[0, ErrorCode.INVALID_TOPIC_EXCEPTION, -1n]]],
    ]);
  });

  it('removes whole segments below the new low watermark', async () => {
    const name = await topicWith(0, { 'segment.bytes': '100', 'file.delete.delay.ms': '0' });
    await produce(client, name, 0, 8);
    const log = broker.broker.logs.log(name, 0)!;
    const before = log.segments.length;
    expect(before).toBeGreaterThan(3);
    await deleteV2(name, 6n);
    expect(log.segments.length).toBeLessThan(before);
    expect(log.segments[0].baseOffset).toBeLessThanOrEqual(6n);
    expect(log.logStartOffset).toBe(6n);
  });

  it('serves @platformatic/kafka (v2)', async () => {
    const name = await topicWith(5);
    const plt = platformaticAdmin(broker);
    try {
      const res = await plt.deleteRecords({ topics: [{ name, partitions: [{ partition: 0, offset: 3n }] }] });
      expect(res).toEqual([{ name, partitions: [{ partition: 0, lowWatermark: 3n }] }]);
    } finally {
      await plt.close();
    }
  });
});
