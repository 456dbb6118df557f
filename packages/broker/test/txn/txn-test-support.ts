// Raw-protocol helpers for the idempotence and transaction tests: a producer that speaks InitProducerId,
// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn and Produce at exact versions and builds its own
// idempotent/transactional batches, plus Fetch and ListOffsets readers.
import {
  ApiKey,
  createAddOffsetsToTxnRequest,
  createAddPartitionsToTxnRequest,
  createEndTxnRequest,
  createFetchRequest,
  createInitProducerIdRequest,
  createListOffsetsRequest,
  createProduceRequest,
  createTxnOffsetCommitRequest,
  decodeRecordBatches,
  encodeRecordBatch,
  type AddOffsetsToTxnResponse,
  type AddPartitionsToTxnResponse,
  type EndTxnResponse,
  type FetchResponse,
  type FetchResponsePartitionData,
  type InitProducerIdResponse,
  type ListOffsetsResponse,
  type ProduceResponse,
  type TxnOffsetCommitResponse,
} from '@tributary/protocol';
import { WireClient } from '../support/wire-client';

export interface BatchSpec {
  producerId: bigint;
  epoch: number;
  sequence: number;
  values: string[];
  transactional?: boolean;
}

export function idempotentBatch(s: BatchSpec): Buffer {
  return encodeRecordBatch({
    producerId: s.producerId,
    producerEpoch: s.epoch,
    baseSequence: s.sequence,
    isTransactional: s.transactional ?? false,
    records: s.values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: BigInt(Date.now()) })),
  });
}

export class TxnWire {
  private constructor(readonly client: WireClient) {}

  static async connect(port: number): Promise<TxnWire> {
    return new TxnWire(await WireClient.connect(port));
  }

  close(): void {
    this.client.close();
  }

  initProducerId(transactionalId: string | null, timeoutMs = 60_000, version = 4, producerId = -1n, producerEpoch = -1): Promise<InitProducerIdResponse> {
    return this.client.send(ApiKey.InitProducerId, version, createInitProducerIdRequest({ transactionalId, transactionTimeoutMs: timeoutMs, producerId, producerEpoch }));
  }

  async produce(topic: string, partition: number, records: Buffer, opts: { transactionalId?: string | null; version?: number; acks?: number } = {}) {
    const res = await this.client.send<ProduceResponse>(
      ApiKey.Produce,
      opts.version ?? 9,
      createProduceRequest({
        transactionalId: opts.transactionalId ?? null,
        acks: opts.acks ?? -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      }),
    );
    return res.responses[0].partitionResponses[0];
  }

  async addPartitions(transactionalId: string, producerId: bigint, epoch: number, topic: string, partitions: number[], version = 3) {
    const res = await this.client.send<AddPartitionsToTxnResponse>(
      ApiKey.AddPartitionsToTxn,
      version,
      createAddPartitionsToTxnRequest({
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: [{ name: topic, partitions }],
      }),
    );
    return res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
  }

  async addOffsets(transactionalId: string, producerId: bigint, epoch: number, groupId: string, version = 3): Promise<number> {
    const res = await this.client.send<AddOffsetsToTxnResponse>(
      ApiKey.AddOffsetsToTxn,
      version,
      createAddOffsetsToTxnRequest({ transactionalId, producerId, producerEpoch: epoch, groupId }),
    );
    return res.errorCode;
  }

  async txnOffsetCommit(transactionalId: string, producerId: bigint, epoch: number, groupId: string, topic: string, partition: number, offset: bigint, version = 3) {
    const res = await this.client.send<TxnOffsetCommitResponse>(
      ApiKey.TxnOffsetCommit,
      version,
      createTxnOffsetCommitRequest({
        transactionalId,
        groupId,
        producerId,
        producerEpoch: epoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'txn' }] }],
      }),
    );
    return res.topics[0].partitions[0].errorCode;
  }

  async endTxn(transactionalId: string, producerId: bigint, epoch: number, committed: boolean, version = 3): Promise<number> {
    const res = await this.client.send<EndTxnResponse>(ApiKey.EndTxn, version, createEndTxnRequest({ transactionalId, producerId, producerEpoch: epoch, committed }));
    return res.errorCode;
  }

  async fetch(topic: string, partition: number, offset: bigint, isolationLevel: 0 | 1, version = 11): Promise<FetchResponsePartitionData> {
    const res = await this.client.send<FetchResponse>(
      ApiKey.Fetch,
      version,
      createFetchRequest({
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 10 * 1024 * 1024,
        isolationLevel,
        topics: [
          {
            topic,
            partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }],
          },
        ],
      }),
    );
    return res.responses[0].partitions[0];
  }

  async latestOffset(topic: string, partition: number, isolationLevel: 0 | 1): Promise<bigint> {
    const res = await this.client.send<ListOffsetsResponse>(
      ApiKey.ListOffsets,
      5,
      createListOffsetsRequest({
        replicaId: -1,
        isolationLevel,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
      }),
    );
    return res.topics[0].partitions[0].offset;
  }
}

/** Offset and value of every data record in a fetch result (control batches skipped). */
export function recordsOf(p: FetchResponsePartitionData): { offset: bigint; value: string; producerId: bigint; control: boolean }[] {
  if (!p.records) return [];
  return decodeRecordBatches(p.records).batches.flatMap((b) =>
    b.records.map((r) => ({ offset: r.offset, value: b.isControl ? '<marker>' : (r.value?.toString() ?? ''), producerId: b.producerId, control: b.isControl })),
  );
}

/**
 * What a read_committed client keeps from a fetch: data records, minus those of aborted transactions (Kafka's
 * consumer algorithm: an aborted transaction's records are skipped from its first offset until its marker).
 */
export function committedView(p: FetchResponsePartitionData): string[] {
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const skipping = new Set<bigint>();
  const out: string[] = [];
  if (!p.records) return out;
  for (const b of decodeRecordBatches(p.records).batches) {
    while (aborted.length && aborted[0].firstOffset <= b.lastOffset) skipping.add(aborted.shift()!.producerId);
    if (b.isControl) {
      skipping.delete(b.producerId);
      continue;
    }
    if (b.isTransactional && skipping.has(b.producerId)) continue;
    for (const r of b.records) out.push(r.value?.toString() ?? '');
  }
  return out;
}
