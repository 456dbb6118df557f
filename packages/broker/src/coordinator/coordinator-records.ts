// The records of __consumer_offsets, in Apache Kafka's own formats (so Kafka's tools and a Kafka broker could read
// them): every key and value is an int16 schema version followed by the body of the generated record codec.
//   offset commit:  key v1 OffsetCommitKey {group, topic, partition}   value v3 OffsetCommitValue
//   group metadata: key v2 GroupMetadataKey {group}                    value v4 GroupMetadataValue (flexible)
// A null value is a tombstone (offsets deleted, group deleted). Keys of versions 3+ are KIP-848 consumer-group
// and share-group records, which this coordinator does not write; decoding skips them.
// A group lives in partition abs(javaHashCode(groupId)) % partitions, as in Kafka.
import {
  GroupMetadataKey,
  GroupMetadataValue,
  OffsetCommitKey,
  OffsetCommitValue,
  Reader,
  Writer,
  type MessageCodec,
} from '@tributary/protocol';
import type { CommittedOffset } from './group';

export const OFFSETS_TOPIC = '__consumer_offsets';

const OFFSET_KEY_VERSION = 1;
const OFFSET_VALUE_VERSION = 3;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 4;

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  stateTimestamp: bigint;
  members: StoredMember[];
}

export type CoordinatorRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: CommittedOffset | null }
  | { kind: 'group'; group: string; value: StoredGroup | null };

/** Java's String.hashCode over UTF-16 code units, as an int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(groupId.hashCode) % partitions (Utils.abs maps MIN_VALUE to 0). */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHashCode(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

function versioned<T>(codec: MessageCodec<T>, version: number, value: T): Buffer {
  const w = new Writer(64);
  w.int16(version);
  codec.encode(w, value, version);
  return Buffer.from(w.finish());
}

export function encodeCoordinatorRecord(rec: CoordinatorRecord): { key: Buffer; value: Buffer | null } {
  if (rec.kind === 'offset') {
    const key = versioned(OffsetCommitKey, OFFSET_KEY_VERSION, { group: rec.group, topic: rec.topic, partition: rec.partition });
    const v = rec.value;
    const value = v
      ? versioned(OffsetCommitValue, OFFSET_VALUE_VERSION, {
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
          commitTimestamp: v.commitTimestamp,
          expireTimestamp: -1n,
        })
      : null;
    return { key, value };
  }
  const key = versioned(GroupMetadataKey, GROUP_KEY_VERSION, { group: rec.group });
  const g = rec.value;
  const value = g
    ? versioned(GroupMetadataValue, GROUP_VALUE_VERSION, {
        protocolType: g.protocolType,
        generation: g.generationId,
        protocol: g.protocolName,
        leader: g.leaderId,
        currentStateTimestamp: g.stateTimestamp,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.subscription,
          assignment: m.assignment,
        })),
      })
    : null;
  return { key, value };
}

/** Decodes one record of __consumer_offsets; undefined for record types this coordinator does not keep. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | undefined {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = OffsetCommitKey.decode(kr, keyVersion);
    if (value === null) return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const version = vr.int16();
    const v = OffsetCommitValue.decode(vr, Math.min(version, OffsetCommitValue.maxVersion));
    return {
      kind: 'offset',
      group: k.group,
      topic: k.topic,
      partition: k.partition,
      value: { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp },
    };
  }
  if (keyVersion === 2) {
    const k = GroupMetadataKey.decode(kr, keyVersion);
    if (value === null) return { kind: 'group', group: k.group, value: null };
    const vr = new Reader(value);
    const version = vr.int16();
    const v = GroupMetadataValue.decode(vr, Math.min(version, GroupMetadataValue.maxVersion));
    return {
      kind: 'group',
      group: k.group,
      value: {
        protocolType: v.protocolType,
        generationId: v.generation,
        protocolName: v.protocol,
        leaderId: v.leader,
        stateTimestamp: v.currentStateTimestamp,
        members: v.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeout,
          sessionTimeoutMs: m.sessionTimeout,
          subscription: Buffer.from(m.subscription),
          assignment: Buffer.from(m.assignment),
        })),
      },
    };
  }
  return undefined;
}
