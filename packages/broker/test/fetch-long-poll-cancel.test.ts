// A Fetch long-poll never outlives its connection: when the client goes away, the parked request ends at once
// instead of holding its log listeners and timer for up to MaxWaitMs.
import { ApiKey, encodeRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { WireClient } from './support/wire-client';

describe('fetch long-poll and the connection', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    kafka = await createTestBroker();
    await kafka.broker.logs.createTopic('idle', { partitions: 1 });
  });
  afterAll(async () => kafka.close());

  it('ends a parked fetch as soon as its connection closes, long before MaxWaitMs', async () => {
    let finished: (() => void) | undefined;
    const handlerDone = new Promise<void>((r) => (finished = r));
    kafka.broker.intercept(ApiKey.Fetch, async (_req, _ctx, next) => {
      try {
        return await next();
      } finally {
        finished!();
      }
    });
    try {
      const client = await WireClient.connect(kafka.port);
      const body = {
        replicaId: -1, maxWaitMs: 120_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'idle', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      };
      client.write(encodeRequest(ApiKey.Fetch, 11, 1, 'cancel-test', body as any));
      await new Promise((r) => setTimeout(r, 200));
      const closedAt = Date.now();
      client.close();
      await handlerDone;
      expect(Date.now() - closedAt).toBeLessThan(2000);
    } finally {
      kafka.broker.intercept(ApiKey.Fetch, undefined);
    }
  });
});
