// The transaction coordinator's settings, Kafka's names and defaults (BrokerConfig keeps unknown keys, so every
// one of them can be set in server.properties, KAFKA_* variables or --override).
import type { BrokerConfig } from '../../config/broker-config';

export interface TransactionCoordinatorConfig {
  stateLogPartitions: number;
  stateLogSegmentBytes: number;
  maxTimeoutMs: number;
  abortTimedOutIntervalMs: number;
  idExpirationMs: number;
  removeExpiredIntervalMs: number;
  maxOffsetMetadataSize: number;
}

/** Kafka's transaction settings with their defaults. */
export function transactionCoordinatorConfig(config: BrokerConfig): TransactionCoordinatorConfig {
  const int = (name: string, def: number) => {
    const v = config.get(name);
    const n = v === null ? def : Number(v);
    return Number.isFinite(n) ? n : def;
  };
  return {
    stateLogPartitions: int('transaction.state.log.num.partitions', 50),
    stateLogSegmentBytes: int('transaction.state.log.segment.bytes', 104857600),
    maxTimeoutMs: int('transaction.max.timeout.ms', 900000),
    abortTimedOutIntervalMs: int('transaction.abort.timed.out.transaction.cleanup.interval.ms', 10000),
    idExpirationMs: int('transactional.id.expiration.ms', 604800000),
    removeExpiredIntervalMs: int('transaction.remove.expired.transaction.cleanup.interval.ms', 3600000),
    maxOffsetMetadataSize: int('offset.metadata.max.bytes', 4096),
  };
}
