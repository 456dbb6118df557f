// Produce to a compacted topic: every record must have a key (Kafka's LogValidator.validateKey). This is the one
// place the produce path looks inside batches, and only for topics whose cleanup.policy includes compact: record
// framing is walked in place (record-scan.ts), a compressed batch is decompressed first. Offending records are
// reported Kafka's way: INVALID_RECORD with one record error per keyless record (its index in the batch) and
// Kafka's messages, which the Produce handler returns as `recordErrors` (v8+).
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, BATCH_OFFSETS, ProtocolError, RECORD_BATCH_HEADER_SIZE, compressionCodec } from '@tributary/protocol';
import { LogError, type RecordError } from '../log-errors';
import { RecordScan } from './record-scan';

/** Kafka's LogValidator.MAX_RECORD_ERRORS_IN_LOG_MSG. */
const MAX_RECORD_ERRORS_IN_MESSAGE = 100;
const scan = new RecordScan();

/**
 * Throws INVALID_RECORD (with record errors) when a non-control batch of the append holds a record without a key.
 * `batches` are the positions and sizes of the validated batches in `records`.
 */
export function rejectKeylessRecords(records: Buffer, batches: readonly { position: number; size: number }[], topicPartition: string): void {
  const errors: RecordError[] = [];
  for (const b of batches) {
    const batch = records.subarray(b.position, b.position + b.size);
    const attributes = batch.readInt16BE(BATCH_OFFSETS.attributes);
    if (attributes & ATTR_CONTROL) continue;
    const codec = compressionCodec(attributes & ATTR_COMPRESSION_MASK);
    let plain: Buffer;
    try {
      const section = batch.subarray(RECORD_BATCH_HEADER_SIZE);
      plain = codec === null ? section : codec.decompress(section);
      scan.reset(plain, 0, plain.length, batch.readInt32BE(BATCH_OFFSETS.recordCount));
      for (let i = 0; scan.next(); i++) {
        if (scan.keyLength < 0) {
          errors.push({ batchIndex: i, message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.` });
        }
      }
    } catch (e) {
      if (e instanceof ProtocolError) throw new LogError('CORRUPT_MESSAGE', `record batch at byte ${b.position}: ${e.message}`);
      throw e;
    }
  }
  if (errors.length === 0) return;
  const shown = errors
    .slice(0, MAX_RECORD_ERRORS_IN_MESSAGE)
    .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    .join(', ');
  throw new LogError(
    'INVALID_RECORD',
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first ` +
      `${MAX_RECORD_ERRORS_IN_MESSAGE} errors at most: [${shown}]`,
    errors,
  );
}
