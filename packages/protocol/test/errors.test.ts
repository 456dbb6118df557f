import { ErrorCode, KAFKA_ERRORS, kafkaError } from '@tributary/protocol';

// kafkajs ships its own copy of Kafka's error table: an independent source to check ours against.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsErrors: { type: string; code: number; retriable: boolean }[] = require('kafkajs/src/protocol/error').errorCodes;

describe('Kafka error table', () => {
  it('has unique codes and names, and ErrorCode mirrors it', () => {
    expect(new Set(KAFKA_ERRORS.map((e) => e.code)).size).toBe(KAFKA_ERRORS.length);
    expect(new Set(KAFKA_ERRORS.map((e) => e.name)).size).toBe(KAFKA_ERRORS.length);
    for (const e of KAFKA_ERRORS) expect(ErrorCode[e.name as keyof typeof ErrorCode]).toBe(e.code);
  });

  it('agrees with kafkajs on the code of every error both know', () => {
        // kafkajs keeps the names these codes had before Kafka renamed them.
    const renamed: Record<string, string> = {
      UNKNOWN: 'UNKNOWN_SERVER_ERROR',
      NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER',
      GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
      GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
      NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR',
    };
    let compared = 0;
    for (const k of kafkajsErrors) {
      const ours = kafkaError(k.code);
      if (ours.name.startsWith('UNKNOWN_ERROR_')) continue;
      expect(ours.name).toBe(renamed[k.type] ?? k.type);
      compared++;
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('marks the errors clients retry as retriable', () => {
    for (const name of ['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT', 'CORRUPT_MESSAGE'] as const) {
      expect(kafkaError(ErrorCode[name]).retriable).toBe(true);
    }
    expect(kafkaError(ErrorCode.REBALANCE_IN_PROGRESS).retriable).toBe(false);
    expect(kafkaError(9999).name).toBe('UNKNOWN_ERROR_9999');
  });
});
