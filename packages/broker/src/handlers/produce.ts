// Produce (key 0), v0-v11. Advertised from v0 because librdkafka <= 2.11 checks `Produce` support from v0 before
// it enables compression (KAFKA-18659); v0-v2 carry legacy MessageSets (magic 0/1), which are converted into
// one RecordBatch v2 per request partition, so the log only ever holds v2 batches. From v3 the records are
// appended as received: validated (framing, CRC, size, timestamps, producer sequence from the batch header) and
// offset-stamped by the log. Records are decoded only on compacted topics, whose keys must be present
// (INVALID_RECORD with per-record `recordErrors`, v8+). Errors are per partition with Kafka's codes; a bad batch
// never reaches the log.
// acks: 0 (no response; any error closes the connection, as in Kafka), 1 (answered once written) or -1 (answered
// once fsynced, group commit).
import {
  ATTR_TRANSACTIONAL,
  ApiKey,
  BATCH_OFFSETS,
  CompressionType,
  ErrorCode,
  KafkaProtocolError,
  ProtocolError,
  RECORD_BATCH_HEADER_SIZE,
  TimestampType,
  decodeLegacyMessage,
  encodeRecordBatch,
  kafkaError,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type RecordInput,
} from '@tributary/protocol';
import { LogError, type RecordError } from '../log';
import { NO_RESPONSE, defineHandler, type RequestContext } from './handler';

type PartitionResponse = ProduceResponsePartitionProduceResponse;

export const produce = defineHandler<ProduceRequest, ProduceResponse>(ApiKey.Produce, { min: 0, max: 11 }, async (req, ctx) => {
  const acks = req.acks;
  const validAcks = acks === -1 || acks === 0 || acks === 1;
  const responses = await Promise.all(
    req.topicData.map(async (topic) => ({
      name: topic.name,
      partitionResponses: await Promise.all(
        topic.partitionData.map((p) =>
          validAcks
            ? appendPartition(ctx, topic.name, p.index, p.records, acks as -1 | 0 | 1, req.transactionalId)
            : failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS),
        ),
      ),
    })),
  );
  if (acks === 0) {
    // No response is expected, so an error is signalled as Kafka does: by closing the connection, which makes the
    // producer notice and refresh its metadata.
    const failures = responses.flatMap((t) => t.partitionResponses.filter((p) => p.errorCode !== 0).map((p) => `${t.name}-${p.index}: ${kafkaError(p.errorCode).name}`));
    if (failures.length > 0) throw new Error(`acks=0 produce failed (${failures.join(', ')})`);
    return NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
});

async function appendPartition(
  ctx: RequestContext,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: -1 | 0 | 1,
  transactionalId: string | null,
): Promise<PartitionResponse> {
  const log = ctx.broker.logs.log(topic, partition);
  if (!log) return failed(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!records || records.length === 0) return failed(partition, ErrorCode.CORRUPT_MESSAGE, 'produce request has no records');
  try {
    const batches = ctx.apiVersion < 3 ? legacyToBatch(records) : records;
    const txnError = ctx.apiVersion < 3 ? 0 : verifyTransactional(ctx, transactionalId, topic, partition, batches);
    if (txnError !== 0) return failed(partition, txnError);
    const r = await log.append(batches, { acks });
    return {
      index: partition,
      errorCode: 0,
      baseOffset: r.baseOffset,
      logAppendTimeMs: r.logAppendTime,
      logStartOffset: r.logStartOffset,
      recordErrors: [],
      errorMessage: null,
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
    };
  } catch (err) {
    if (err instanceof LogError) return failed(partition, err.code, err.message, err.recordErrors);
    if (err instanceof KafkaProtocolError) return failed(partition, err.code, err.message);
    if (err instanceof ProtocolError) return failed(partition, ErrorCode.CORRUPT_MESSAGE, err.message);
    ctx.broker.logger.error({ err, topic, partition }, 'append failed');
    return failed(partition, ErrorCode.KAFKA_STORAGE_ERROR, 'the broker could not write to its log');
  }
}

function failed(index: number, errorCode: number, errorMessage: string | null = null, records: readonly RecordError[] = []): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    // v8+: which records caused INVALID_RECORD (keyless records on a compacted topic)
    recordErrors: records.map((r) => ({ batchIndex: r.batchIndex, batchIndexErrorMessage: r.message })),
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

/**
 * A transactional batch must belong to the producer's ongoing transaction and its partition must have been added
 * to it (Kafka's transaction verification, KIP-890): otherwise it would open a transaction no coordinator ends.
 */
function verifyTransactional(ctx: RequestContext, transactionalId: string | null, topic: string, partition: number, records: Buffer): number {
  if (records.length < RECORD_BATCH_HEADER_SIZE || (records.readInt16BE(BATCH_OFFSETS.attributes) & ATTR_TRANSACTIONAL) === 0) return 0;
  const producerId = records.readBigInt64BE(BATCH_OFFSETS.producerId);
  const epoch = records.readInt16BE(BATCH_OFFSETS.producerEpoch);
  return ctx.broker.transactions.verifyTransactionalProduce(transactionalId, producerId, epoch, topic, partition);
}

/** Converts a legacy MessageSet (v0/v1 messages, possibly compressed wrappers) into one RecordBatch v2. */
function legacyToBatch(messageSet: Buffer): Buffer {
  const records: RecordInput[] = [];
  let compression = CompressionType.None;
  let logAppendTime = false;
  let pos = 0;
  while (pos < messageSet.length) {
    if (messageSet.length - pos < 12) throw new ProtocolError('truncated', 'partial message at the end of a message set');
    const size = messageSet.readInt32BE(pos + 8);
    const decoded = decodeLegacyMessage(messageSet, undefined, pos);
    if (decoded.compression !== CompressionType.None) compression = decoded.compression;
    if (decoded.timestampType === TimestampType.LogAppendTime) logAppendTime = true;
    for (const r of decoded.records) {
      records.push({ key: r.key, value: r.value, headers: [], timestamp: r.timestamp < 0n ? BigInt(Date.now()) : r.timestamp });
    }
    pos += 12 + size;
  }
  if (records.length === 0) throw new ProtocolError('malformed', 'message set holds no messages');
  return encodeRecordBatch({
    records,
    compression,
    timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
  });
}
