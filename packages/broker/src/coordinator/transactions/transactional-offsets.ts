// Offsets committed inside a transaction (TxnOffsetCommit), the way Kafka's group coordinator keeps them: the
// offset-commit records are appended at once to the group's __consumer_offsets partition as a *transactional*
// batch (the producer's id and epoch, so the log fences a stale epoch) and staged here per producer id, invisible
// to OffsetFetch. EndTxn writes the COMMIT/ABORT marker to that partition like to any other, then calls
// complete(): on commit the staged offsets become the group's committed offsets, on abort they are dropped.
//
// On start the group coordinator has already replayed __consumer_offsets treating every record as committed;
// load() scans the partitions that hold transactional batches again with transaction semantics and corrects
// every key a transactional record touched: its value is the latest (by log offset) of the plain commits and
// the transactional commits whose COMMIT marker was seen; records of transactions still open at the end of
// the log are staged again and wait for the coordinator to complete them.
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BATCH_OFFSETS,
  ControlRecordType,
  ErrorCode,
  decodeRecordBatches,
  encodeRecordBatch,
  type RecordInput,
} from '@tributary/protocol';
import type { Logger } from 'pino';
import type { LogManager } from '../../log/log-manager';
import { OFFSETS_TOPIC, decodeCoordinatorRecord, encodeCoordinatorRecord } from '../coordinator-records';
import type { CommittedOffset } from '../group';
import type { GroupCoordinator } from '../group-coordinator';
import type { TopicPartitionErrors } from '../offset-manager';
import { appendErrorCode } from '../offsets-topic';
import { partitionKey } from './transaction-metadata';

const REPLAY_READ_BYTES = 1 << 20;

export interface TxnOffsetCommitArgs {
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }[] }[];
}

interface Staged {
  topic: string;
  partition: number;
  value: CommittedOffset;
}

export class TransactionalOffsets {
  /** producer id -> group id -> topic/partition -> offset. */
  private readonly pending = new Map<bigint, Map<string, Map<string, Staged>>>();

  constructor(
    private readonly groups: GroupCoordinator,
    private readonly logs: LogManager,
    private readonly maxMetadataSize: number,
    private readonly logger: Logger,
  ) {}

  /** Validates the group membership, writes the transactional records and stages them. */
  async commit(req: TxnOffsetCommitArgs): Promise<TopicPartitionErrors[]> {
    const all = (errorCode: number) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })) }));
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const error = this.validate(req);
    if (error !== ErrorCode.NONE) return all(error);
    const now = BigInt(Date.now());
    const inputs: RecordInput[] = [];
    const staged: Staged[] = [];
    const results: TopicPartitionErrors[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!this.logs.log(t.name, p.partition)) return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const metadata = p.metadata ?? '';
        if (metadata.length > this.maxMetadataSize) return { partition: p.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        const value: CommittedOffset = { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata, commitTimestamp: now };
        inputs.push({ ...encodeCoordinatorRecord({ kind: 'offset', group: req.groupId, topic: t.name, partition: p.partition, value }), timestamp: now });
        staged.push({ topic: t.name, partition: p.partition, value });
        return { partition: p.partition, errorCode: ErrorCode.NONE };
      }),
    }));
    if (inputs.length === 0) return results;
    try {
      await this.groups.ensureOffsetsTopic();
      const partition = this.groups.partitionFor(req.groupId);
      const log = this.logs.log(OFFSETS_TOPIC, partition);
      if (!log) throw new Error(`${OFFSETS_TOPIC}-${partition} does not exist`);
      const batch = encodeRecordBatch({ records: inputs, producerId: req.producerId, producerEpoch: req.producerEpoch, baseSequence: 0, isTransactional: true });
      await log.append(batch, { acks: -1, origin: 'coordinator' });
    } catch (err) {
      const code = appendErrorCode(err, 'offsets');
      this.logger.warn({ group: req.groupId, err: (err as Error).message, code }, 'transactional offset commit could not be written');
      for (const t of results) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      return results;
    }
    const byGroup = this.stage(req.producerId, req.groupId);
    for (const s of staged) byGroup.set(partitionKey(s.topic, s.partition), s);
    return results;
  }

  /** Kafka's ClassicGroup.validateOffsetCommit for transactional commits (no member needed before v3). */
  private validate(req: TxnOffsetCommitArgs): number {
    const group = this.groups.get(req.groupId);
    if (!group) return req.generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const error = group.validateMember(req.memberId, req.groupInstanceId);
      if (error !== ErrorCode.NONE) return error;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    return ErrorCode.NONE;
  }

  private stage(producerId: bigint, groupId: string): Map<string, Staged> {
    let byGroup = this.pending.get(producerId);
    if (!byGroup) this.pending.set(producerId, (byGroup = new Map()));
    let byKey = byGroup.get(groupId);
    if (!byKey) byGroup.set(groupId, (byKey = new Map()));
    return byKey;
  }

  /** After the transaction's markers are written: commit makes the staged offsets visible, abort drops them. */
  complete(producerId: bigint, commit: boolean): void {
    const byGroup = this.pending.get(producerId);
    if (!byGroup) return;
    this.pending.delete(producerId);
    if (!commit) return;
    for (const [groupId, byKey] of byGroup) {
      const group = this.groups.get(groupId) ?? this.groups.create(groupId);
      if (group.is('Dead')) continue;
      // offsets of a topic deleted meanwhile are dropped, as the group coordinator drops committed ones
      for (const s of byKey.values()) if (this.logs.log(s.topic, s.partition)) group.setOffset(s.topic, s.partition, s.value);
    }
  }

  /** Whether a producer has offsets waiting for its transaction to end (OffsetFetch's require_stable). */
  hasPending(groupId: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pending.values()) if (byGroup.get(groupId)?.has(partitionKey(topic, partition))) return true;
    return false;
  }

  /** Corrects the group coordinator's replay for transactional records (see the header comment). */
  async load(): Promise<void> {
    const topic = this.logs.topic(OFFSETS_TOPIC);
    if (!topic) return;
    let corrected = 0;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.logs.log(OFFSETS_TOPIC, p);
      if (!log || !(await hasTransactionalBatches(log))) continue;
      corrected += await this.loadPartition(log);
    }
    if (corrected > 0) this.logger.info({ offsets: corrected }, 'applied transactional offset commits from __consumer_offsets');
  }

  private async loadPartition(log: NonNullable<ReturnType<LogManager['log']>>): Promise<number> {
    type Seen = { group: string; topic: string; partition: number; value: CommittedOffset | null; offset: bigint };
    const plain = new Map<string, Seen>();
    const committed = new Map<string, Seen>();
    const open = new Map<bigint, Seen[]>();
    const touched = new Map<string, { group: string; topic: string; partition: number }>();
    const keyOf = (s: { group: string; topic: string; partition: number }) => `${s.group}\u0000${partitionKey(s.topic, s.partition)}`;
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const { batches } = decodeRecordBatches((await log.read(offset, REPLAY_READ_BYTES)).records);
      if (batches.length === 0) break;
      for (const batch of batches) {
        if (batch.isControl) {
          const type = batch.controlRecords?.[0]?.type;
          const records = open.get(batch.producerId) ?? [];
          open.delete(batch.producerId);
          if (type === ControlRecordType.Commit) for (const s of records) committed.set(keyOf(s), s);
        } else {
          for (const rec of batch.records) {
            if (rec.offset < offset || rec.key === null) continue;
            let d;
            try {
              d = decodeCoordinatorRecord(rec.key, rec.value);
            } catch {
              continue;
            }
            if (d?.kind !== 'offset') continue;
            const seen: Seen = { group: d.group, topic: d.topic, partition: d.partition, value: d.value, offset: rec.offset };
            if (batch.isTransactional) {
              let list = open.get(batch.producerId);
              if (!list) open.set(batch.producerId, (list = []));
              list.push(seen);
              touched.set(keyOf(seen), seen);
            } else plain.set(keyOf(seen), seen);
          }
        }
        if (batch.lastOffset + 1n > offset) offset = batch.lastOffset + 1n;
      }
    }
    for (const [key, where] of touched) {
      const a = plain.get(key);
      const b = committed.get(key);
      const winner = a && b ? (a.offset > b.offset ? a : b) : (a ?? b);
      const group = this.groups.get(where.group) ?? (winner?.value ? this.groups.create(where.group) : undefined);
      if (!group) continue;
      if (winner?.value) group.setOffset(where.topic, where.partition, winner.value);
      else group.removeOffset(where.topic, where.partition);
    }
    for (const [producerId, records] of open) {
      for (const s of records) if (s.value) this.stage(producerId, s.group).set(partitionKey(s.topic, s.partition), { topic: s.topic, partition: s.partition, value: s.value });
    }
    return touched.size;
  }
}

/** Whether any batch of the log is transactional or a control batch (headers only). */
async function hasTransactionalBatches(log: NonNullable<ReturnType<LogManager['log']>>): Promise<boolean> {
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, REPLAY_READ_BYTES);
    if (records.length === 0) return false;
    let p = 0;
    while (p + 61 <= records.length) {
      const attributes = records.readInt16BE(p + BATCH_OFFSETS.attributes);
      if (attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) return true;
      offset = records.readBigInt64BE(p) + BigInt(records.readInt32BE(p + BATCH_OFFSETS.lastOffsetDelta)) + 1n;
      p += records.readInt32BE(p + BATCH_OFFSETS.batchLength) + 12;
    }
  }
  return false;
}
