// What the log layer reports. Errors: a LogError is a KafkaProtocolError (the protocol package's domain-error
// type, whose code a handler puts straight into its response) restricted to the errors the log can produce; it
// is an expected, per-partition outcome, and any other thrown Error is a bug or an I/O failure. Warnings (torn
// tails, rebuilt indexes) go to a LogLogger, compatible with pino and console.
import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';

/** The Kafka errors the log layer reports. */
export type LogErrorName =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'RECORD_LIST_TOO_LARGE'
  | 'INVALID_TIMESTAMP'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'KAFKA_STORAGE_ERROR'
  | 'INVALID_RECORD'
  | 'INVALID_PRODUCER_EPOCH'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED';

/** A per-record rejection (Produce v8+ `recordErrors`): the record's index in its batch and why. */
export interface RecordError {
  batchIndex: number;
  message: string | null;
}

export class LogError extends KafkaProtocolError {
  constructor(
    readonly errorName: LogErrorName,
    message: string,
    /** The records that caused an INVALID_RECORD (keyless records on a compacted topic). */
    readonly recordErrors: readonly RecordError[] = [],
  ) {
    super(ErrorCode[errorName], message);
  }
}

export const isLogError = (e: unknown, name?: LogErrorName): e is LogError =>
  e instanceof LogError && (name === undefined || e.errorName === name);

export interface LogLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Writes warnings to stderr and drops info. */
export const defaultLogLogger: LogLogger = {
  info: () => undefined,
  warn: (message) => console.warn(`[log] ${message}`),
};
