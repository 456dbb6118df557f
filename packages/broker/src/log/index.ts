// The broker's durable partition log (domain layer below the Kafka handlers; no wire types here).
// See README.md in this directory for how it works.
export { LogManager, type LogManagerOptions, type CreateTopicOptions, type TopicInfo } from './log-manager';
export { PartitionLog, type PartitionLogOptions, type AppendListener } from './partition-log';
export type { AppendOptions, AppendResult } from './append-validator';
export type { ReadOptions, LogReadResult } from './log-reads';
export { FlushScheduler, type Flushable, type FlushSchedulerOptions } from './flush-scheduler';
export { Segment, segmentFileName, parseSegmentFileName, type SegmentSettings } from './segment';
export { LogError, isLogError, defaultLogLogger, type LogErrorName, type LogLogger, type RecordError } from './log-errors';
export {
  LogCleaner,
  cleanerOptions,
  type CleanableState,
  type CleanNowOptions,
  type LogCleanerOptions,
  type PartitionCleaning,
} from './cleaner/log-cleaner';
export {
  resolveTopicConfig,
  toLogConfig,
  defaultLogConfig,
  validateBrokerConfig,
  type LogConfig,
  type ConfigSource,
  type ConfigSynonym,
  type ResolvedConfigEntry,
  type TimestampType,
} from './log-config';
export { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateTopicConfig, type TopicConfigDef, type ConfigType } from './topic-configs';
export { applyConfigOps, validateOverrides, type ConfigOp, type ConfigOpType } from './topic-config-changes';
export { TOPICS_FILE, validateTopicName, type TopicRecord } from './topic-store';
export { defaultSync, type SyncFn } from './file-io';
export type { RecordHit } from './timestamp-lookup';

