// Test helper: builds RecordBatch v2 bytes with a correct CRC32C from the protocol package's Writer and crc32c,
// and decodes the log's output back into (offset, timestamp, value) records. Deliberately independent of the
// protocol package's batch encoder so the log tests do not depend on it.
import { gzipSync } from 'node:zlib';
import { BATCH_OFFSETS, Reader, Writer, crc32c } from '@tributary/protocol';

export interface TestRecord {
  value: string | Buffer | null;
  key?: string | Buffer | null;
  timestamp?: bigint;
}

export interface BatchOptions {
  /** Default: 1_700_000_000_000n + index of the record. */
  baseTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Extra attribute bits (e.g. 0x20 control, 0x08 LogAppendTime). */
  attributes?: number;
  gzip?: boolean;
}

const toBuf = (v: string | Buffer | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

/** One RecordBatch v2 (base offset 0) holding the given records. */
export function buildBatch(input: readonly (TestRecord | string)[], opts: BatchOptions = {}): Buffer {
  const recs = input.map((r) => (typeof r === 'string' ? { value: r } : r));
  const baseTs = opts.baseTimestamp ?? recs[0]?.timestamp ?? 1_700_000_000_000n;
  const body = new Writer(256);
  let maxTs = -1n;
  recs.forEach((r, i) => {
    const ts = r.timestamp ?? baseTs + BigInt(i);
    if (ts > maxTs) maxTs = ts;
    const rec = new Writer(64);
    rec.int8(0).varlong(ts - baseTs).varint(i);
    const key = toBuf(r.key);
    if (key) rec.varint(key.length).raw(key);
    else rec.varint(-1);
    const value = toBuf(r.value);
    if (value) rec.varint(value.length).raw(value);
    else rec.varint(-1);
    rec.uvarint(0); // no headers
    const bytes = rec.finish();
    body.varint(bytes.length).raw(bytes);
  });
  let records = body.finish();
  let attributes = opts.attributes ?? 0;
  if (opts.gzip) {
    records = gzipSync(records);
    attributes |= 1;
  }
  const w = new Writer(61 + records.length);
  w.int64(0n).int32(0).int32(-1).int8(2).uint32(0).int16(attributes).int32(recs.length - 1);
  w.int64(baseTs).int64(maxTs).int64(opts.producerId ?? -1n).int16(opts.producerEpoch ?? -1).int32(opts.baseSequence ?? -1);
  w.int32(recs.length).raw(records);
  const batch = Buffer.from(w.finish());
  batch.writeInt32BE(batch.length - 12, BATCH_OFFSETS.batchLength);
  batch.writeUInt32BE(crc32c(batch, BATCH_OFFSETS.attributes, batch.length), BATCH_OFFSETS.crc);
  return batch;
}

/** A batch of n records with values `${prefix}${i}` and a padded payload of `pad` bytes each. */
export function batchOf(n: number, prefix = 'v', pad = 0, baseTimestamp?: bigint): Buffer {
  return buildBatch(
    Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}${'.'.repeat(pad)}` })),
    baseTimestamp === undefined ? {} : { baseTimestamp },
  );
}

export interface DecodedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  attributes: number;
  maxTimestamp: bigint;
  partitionLeaderEpoch: number;
  crcValid: boolean;
  records: { offset: bigint; timestamp: bigint; value: string | null }[];
}

/** Decodes consecutive uncompressed batches (the log's read output). */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let p = 0;
  while (p < buf.length) {
    const size = buf.readInt32BE(p + 8) + 12;
    const b = buf.subarray(p, p + size);
    const baseOffset = b.readBigInt64BE(0);
    const attributes = b.readInt16BE(BATCH_OFFSETS.attributes);
    const baseTs = b.readBigInt64BE(BATCH_OFFSETS.baseTimestamp);
    const maxTimestamp = b.readBigInt64BE(BATCH_OFFSETS.maxTimestamp);
    const count = b.readInt32BE(BATCH_OFFSETS.recordCount);
    const records: DecodedBatch['records'] = [];
    if ((attributes & 7) === 0) {
      const r = new Reader(b, 61);
      for (let i = 0; i < count; i++) {
        const len = r.varint();
        const end = r.pos + len;
        r.int8();
        const ts = baseTs + r.varlong();
        const offset = baseOffset + BigInt(r.varint());
        const klen = r.varint();
        if (klen > 0) r.pos += klen;
        const vlen = r.varint();
        const value = vlen < 0 ? null : b.toString('utf8', r.pos, r.pos + vlen);
        r.pos = end;
        records.push({ offset, timestamp: attributes & 0x08 ? maxTimestamp : ts, value });
      }
    }
    out.push({
      baseOffset,
      lastOffset: baseOffset + BigInt(b.readInt32BE(BATCH_OFFSETS.lastOffsetDelta)),
      attributes,
      maxTimestamp,
      partitionLeaderEpoch: b.readInt32BE(BATCH_OFFSETS.partitionLeaderEpoch),
      crcValid: b.readUInt32BE(BATCH_OFFSETS.crc) === crc32c(b, BATCH_OFFSETS.attributes, size),
      records,
    });
    p += size;
  }
  return out;
}

/** Values of all records in a read result. */
export const valuesOf = (buf: Buffer): (string | null)[] => decodeBatches(buf).flatMap((b) => b.records.map((r) => r.value));
