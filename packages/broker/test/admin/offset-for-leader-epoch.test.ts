import { ApiKey, ErrorCode, createOffsetForLeaderEpochRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { RawClient, kafkajs, produce, uniqueTopic } from './admin-support';

describe('OffsetForLeaderEpoch', () => {
  let broker: TestBroker;
  let raw: RawClient;
  let topic: string;
  beforeAll(async () => {
    broker = await createTestBroker();
    raw = await RawClient.connect(broker.port);
    topic = uniqueTopic();
    await broker.broker.logs.createTopic(topic, { partitions: 2 });
    await produce(kafkajs(broker), topic, 0, 5);
  });
  afterAll(async () => {
    raw.close();
    await broker.close();
  });
  const ask = (version: number, partitions: { partition: number; leaderEpoch: number; currentLeaderEpoch?: number }[], name = topic) =>
    raw
      .send(
        ApiKey.OffsetForLeaderEpoch,
        version,
        createOffsetForLeaderEpochRequest({ replicaId: -1, topics: [{ topic: name, partitions: partitions.map((p) => ({ currentLeaderEpoch: -1, ...p })) }] }),
      )
      .then((r) => r.topics[0].partitions);

  it('answers epoch 0 with the log end offset, on empty and non-empty partitions', async () => {
    expect(await ask(4, [{ partition: 0, leaderEpoch: 0 }, { partition: 1, leaderEpoch: 0 }])).toEqual([
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 5n },
      { errorCode: 0, partition: 1, leaderEpoch: 0, endOffset: 0n },
    ]);
  });

  it('answers UNDEFINED (-1, -1) for an epoch newer than the leader or for epoch -1, as Kafka does', async () => {
    expect(await ask(4, [{ partition: 0, leaderEpoch: 3 }, { partition: 0, leaderEpoch: -1 }])).toEqual([
      { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n },
    ]);
  });

  it('fences with currentLeaderEpoch (v2+): older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, -1 skips the check', async () => {
    expect(
      await ask(2, [
        { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 },
        { partition: 0, leaderEpoch: 0, currentLeaderEpoch: -5 },
        { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 0 },
        { partition: 0, leaderEpoch: 0, currentLeaderEpoch: -1 },
      ]),
    ).toEqual([
      { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: ErrorCode.FENCED_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 5n },
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 5n },
    ]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for unknown partitions and topics', async () => {
    expect(await ask(3, [{ partition: 7, leaderEpoch: 0 }])).toEqual([{ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 7, leaderEpoch: -1, endOffset: -1n }]);
    expect((await ask(3, [{ partition: 0, leaderEpoch: 0 }], 'never-created'))[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('v0 answers the end offset without an epoch field', async () => {
    expect(await ask(0, [{ partition: 0, leaderEpoch: 0 }])).toEqual([{ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: 5n }]);
  });
});
