// Control records: the markers a transaction coordinator writes (and KRaft's own), in batches with the control
// attribute. Key: version int16 | type int16. Value of ABORT and COMMIT (Kafka's EndTransactionMarker):
// version int16 | coordinatorEpoch int32. Other control types (KRaft leader change, snapshot header/footer, ...)
// carry their own value schema, kept here as raw bytes.
import { ProtocolError } from '../primitives/protocol-error';
import type { KafkaRecord } from './record';

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

export interface ControlRecord {
  /** Key version (0 today). */
  version: number;
  type: ControlRecordType | number;
  /** ABORT and COMMIT only: the value's version and the coordinator epoch. */
  markerVersion?: number;
  coordinatorEpoch?: number;
}

export function encodeControlRecordKey(type: ControlRecordType | number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

export function encodeControlRecordValue(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeControlRecordKey(key: Buffer | null): { version: number; type: ControlRecordType | number } {
  if (key === null || key.length < 4) throw new ProtocolError('malformed', `control record key of ${key?.length ?? 'null'} bytes (need 4)`);
  const version = key.readInt16BE(0);
  if (version < 0) throw new ProtocolError('malformed', `control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function decodeControlRecordValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < 6) {
    throw new ProtocolError('malformed', `transaction marker value of ${value?.length ?? 'null'} bytes (need 6)`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new ProtocolError('malformed', `transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

/** Decodes the marker a control batch's record carries. */
export function readControlRecord(record: Pick<KafkaRecord, 'key' | 'value'>): ControlRecord {
  const key = decodeControlRecordKey(record.key);
  if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return key;
  const value = decodeControlRecordValue(record.value);
  return { ...key, markerVersion: value.version, coordinatorEpoch: value.coordinatorEpoch };
}
