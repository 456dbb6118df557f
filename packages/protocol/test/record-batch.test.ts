// RecordBatch v2 round trips through our own encoder and decoder, and the iteration over concatenated entries.
import {
  ATTR_DELETE_HORIZON,
  CompressionType,
  ControlRecordType,
  ProtocolError,
  RECORD_BATCH_HEADER_SIZE,
  TimestampType,
  decodeControlRecordKey,
  decodeControlRecordValue,
  decodeRecordBatch,
  decodeRecordBatchAsync,
  decodeRecordBatches,
  decodeRecords,
  encodeControlRecordKey,
  encodeControlRecordValue,
  encodeRecordBatch,
  encodeTransactionMarkerBatch,
  readRecordBatchHeader,
  stampBaseOffset,
  validateRecordBatch,
  type RecordInput,
} from '@tributary/protocol';

const COMPRESSIONS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const TS = 1_700_000_000_000n;

function mixedRecords(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 4 === 0 ? null : Buffer.from(`k${i}`),
    value: i % 7 === 3 ? null : i % 7 === 5 ? Buffer.alloc(0) : Buffer.from(`v${i}`.repeat(i % 13)),
    headers:
      i % 3 === 0
        ? []
        : [
            { key: 'h', value: Buffer.from([i & 0xff]) },
            { key: '', value: null },
            { key: 'h', value: Buffer.from('duplicate keys are kept in order') },
          ],
    // timestamps before and after the first: deltas are signed
    timestamp: TS + BigInt((i % 5) * 1000 - 2000),
  }));
}

describe('encodeRecordBatch / decodeRecordBatch', () => {
  it.each(COMPRESSIONS)('compression %i: keys, values, headers, nulls and empties survive', (compression) => {
    const records = mixedRecords(100);
    const buf = encodeRecordBatch({ baseOffset: 1000n, compression, records });
    expect(validateRecordBatch(buf)).toBe(buf.length);
    const batch = decodeRecordBatch(buf);
    expect(batch.compression).toBe(compression);
    expect(batch.recordCount).toBe(100);
    expect(batch.lastOffsetDelta).toBe(99);
    expect(batch.lastOffset).toBe(1099n);
    expect(batch.baseTimestamp).toBe(records[0].timestamp);
    expect(batch.maxTimestamp).toBe(TS + 2000n);
    batch.records.forEach((r, i) => {
      expect(r.offset).toBe(1000n + BigInt(i));
      expect(r.timestamp).toBe(records[i].timestamp);
      expect(r.key).toEqual(records[i].key);
      expect(r.value).toEqual(records[i].value);
      expect(r.headers).toEqual(records[i].headers);
    });
  });

  it.each(COMPRESSIONS)('compression %i: the async decoder gives the same batch as the sync one', async (compression) => {
    const buf = encodeRecordBatch({ baseOffset: 3n, compression, records: mixedRecords(20) });
    expect(await decodeRecordBatchAsync(buf)).toEqual(decodeRecordBatch(buf));
  });

  it('defaults: partition leader epoch, producer id, epoch and sequence are -1 (no idempotence)', () => {
    const b = decodeRecordBatch(encodeRecordBatch({ records: [{ key: null, value: null, timestamp: TS }] }));
    expect([b.partitionLeaderEpoch, b.producerId, b.producerEpoch, b.baseSequence]).toEqual([-1, -1n, -1, -1]);
    expect([b.isTransactional, b.isControl, b.hasDeleteHorizon, b.timestampType]).toEqual([false, false, false, TimestampType.CreateTime]);
  });

  it('an empty batch (as compaction leaves) has timestamps -1 and no records', () => {
    const buf = encodeRecordBatch({ baseOffset: 5n, lastOffsetDelta: 9, records: [] });
    expect(buf.length).toBe(RECORD_BATCH_HEADER_SIZE);
    const b = decodeRecordBatch(buf);
    expect([b.records.length, b.baseTimestamp, b.maxTimestamp, b.lastOffset]).toEqual([0, -1n, -1n, 14n]);
  });

  it('large values (4 MiB) and int64 extremes in offsets, timestamps and producer ids', () => {
    const big = Buffer.alloc(4 << 20, 0xab);
    const records: RecordInput[] = [
      { key: null, value: big, timestamp: -1n },
      { key: Buffer.from('k'), value: null, timestamp: 9_223_372_036_854_775_000n }, // delta far beyond 2^53
    ];
    for (const compression of COMPRESSIONS) {
      const b = decodeRecordBatch(
        encodeRecordBatch({ baseOffset: 9_223_372_036_854_775_000n, producerId: 9_007_199_254_740_993n, compression, records }),
      );
      expect(b.records[0].value?.equals(big)).toBe(true);
      expect(b.records[1].timestamp).toBe(9_223_372_036_854_775_000n);
      expect(b.records[1].offset).toBe(9_223_372_036_854_775_001n);
      expect(b.producerId).toBe(9_007_199_254_740_993n);
    }
  });

  it('explicit offset deltas with gaps (a compacted batch) are kept', () => {
    const records = [0, 3, 10].map((d) => ({ key: Buffer.from([d]), value: null, timestamp: TS, offsetDelta: d }));
    const b = decodeRecordBatch(encodeRecordBatch({ baseOffset: 100n, records }));
    expect(b.records.map((r) => r.offset)).toEqual([100n, 103n, 110n]);
    expect(b.lastOffsetDelta).toBe(10);
  });

  it('transactional idempotent batch: flags and producer fields', () => {
    const b = decodeRecordBatch(
      encodeRecordBatch({
        isTransactional: true,
        producerId: 77n,
        producerEpoch: 4,
        baseSequence: 1234,
        partitionLeaderEpoch: 3,
        compression: CompressionType.Zstd,
        records: mixedRecords(3),
      }),
    );
    expect([b.isTransactional, b.producerId, b.producerEpoch, b.baseSequence, b.partitionLeaderEpoch]).toEqual([true, 77n, 4, 1234, 3]);
  });

  it('LogAppendTime: every record reads the batch max timestamp, as Kafka defines it', () => {
    const b = decodeRecordBatch(encodeRecordBatch({ timestampType: TimestampType.LogAppendTime, maxTimestamp: TS + 5n, records: mixedRecords(4) }));
    expect(b.timestampType).toBe(TimestampType.LogAppendTime);
    expect(b.records.map((r) => r.timestamp)).toEqual([TS + 5n, TS + 5n, TS + 5n, TS + 5n]);
  });

  it('delete horizon (KIP-534): the attribute is set and baseTimestamp is the horizon', () => {
    const b = decodeRecordBatch(encodeRecordBatch({ deleteHorizonMs: TS + 86_400_000n, records: mixedRecords(2) }));
    expect(b.hasDeleteHorizon).toBe(true);
    expect(b.attributes & ATTR_DELETE_HORIZON).toBe(ATTR_DELETE_HORIZON);
    expect(b.baseTimestamp).toBe(TS + 86_400_000n);
    expect(b.records[1].timestamp).toBe(mixedRecords(2)[1].timestamp);
  });

  it('the broker path: stamping a base offset keeps the CRC valid and shifts every record offset', () => {
    const buf = encodeRecordBatch({ compression: CompressionType.Lz4, records: mixedRecords(5) });
    stampBaseOffset(buf, 500n);
    expect(validateRecordBatch(buf)).toBe(buf.length);
    expect(decodeRecordBatch(buf).records.map((r) => r.offset)).toEqual([500n, 501n, 502n, 503n, 504n]);
  });

  it('a flipped byte fails the CRC; verifyCrc: false decodes what is there', () => {
    const buf = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('abc'), timestamp: TS }] });
    buf[buf.length - 2] ^= 0x01; // inside the value
    expect(() => decodeRecordBatch(buf)).toThrow(ProtocolError);
    expect(decodeRecordBatch(buf, { verifyCrc: false }).records[0].value?.toString()).toBe('abb');
  });

  it('decompressed records are bounded by maxOutputBytes', () => {
    const buf = encodeRecordBatch({ compression: CompressionType.Gzip, records: [{ key: null, value: Buffer.alloc(100_000), timestamp: TS }] });
    expect(() => decodeRecordBatch(buf, { maxOutputBytes: 10_000 })).toThrow(ProtocolError);
  });
});

describe('control batches', () => {
  it.each([
    ['COMMIT', ControlRecordType.Commit],
    ['ABORT', ControlRecordType.Abort],
  ])('a %s marker batch decodes to its type and coordinator epoch', (_name, type) => {
    const buf = encodeTransactionMarkerBatch({ baseOffset: 40n, producerId: 9n, producerEpoch: 2, type, coordinatorEpoch: 17, timestamp: TS });
    const b = decodeRecordBatch(buf);
    expect([b.isControl, b.isTransactional, b.producerId, b.producerEpoch]).toEqual([true, true, 9n, 2]);
    expect(b.controlRecords).toEqual([{ version: 0, type, markerVersion: 0, coordinatorEpoch: 17 }]);
  });

  it('key and value encoders match the documented layout', () => {
    expect(encodeControlRecordKey(ControlRecordType.Commit)).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(encodeControlRecordValue(0x01020304)).toEqual(Buffer.from([0, 0, 1, 2, 3, 4]));
    expect(decodeControlRecordKey(Buffer.from([0, 0, 0, 0]))).toEqual({ version: 0, type: ControlRecordType.Abort });
    expect(decodeControlRecordValue(Buffer.from([0, 0, 0, 0, 0, 5]))).toEqual({ version: 0, coordinatorEpoch: 5 });
  });

  it('a control batch whose key is too short is a ProtocolError', () => {
    const buf = encodeRecordBatch({ isControl: true, records: [{ key: Buffer.from([0]), value: null, timestamp: TS }] });
    expect(() => decodeRecordBatch(buf)).toThrow(ProtocolError);
  });

  it('other control types (KRaft) keep their key and leave the value to their own schema', () => {
    const buf = encodeRecordBatch({ isControl: true, records: [{ key: encodeControlRecordKey(ControlRecordType.LeaderChange), value: Buffer.from([9, 9]), timestamp: TS }] });
    expect(decodeRecordBatch(buf).controlRecords).toEqual([{ version: 0, type: ControlRecordType.LeaderChange }]);
  });
});

describe('decodeRecordBatches', () => {
  const batches = [0n, 3n, 6n].map((base, i) =>
    encodeRecordBatch({ baseOffset: base, compression: COMPRESSIONS[i + 1], records: mixedRecords(3) }),
  );
  const all = Buffer.concat(batches);

  it('decodes concatenated batches in order', () => {
    const { batches: out, truncated } = decodeRecordBatches(all);
    expect(truncated).toBeNull();
    expect(out.map((b) => b.baseOffset)).toEqual([0n, 3n, 6n]);
    expect(decodeRecords(all).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  it('a trailing partial batch (a fetch cut at max bytes) is left out and reported, at every cut point', () => {
    const firstTwo = batches[0].length + batches[1].length;
    for (let cut = firstTwo + 1; cut < all.length; cut++) {
      const { batches: out, truncated } = decodeRecordBatches(all.subarray(0, cut));
      expect(out).toHaveLength(2);
      expect(truncated).toEqual({ at: firstTwo, declaredSize: cut - firstTwo >= 12 ? batches[2].length : null, available: cut - firstTwo });
    }
  });

  it('a first batch larger than the buffer gives no batches and reports it', () => {
    const { batches: out, truncated } = decodeRecordBatches(all.subarray(0, 30));
    expect(out).toEqual([]);
    expect(truncated?.declaredSize).toBe(batches[0].length);
  });

  it('a corrupt batch before the end is an error, not a truncation', () => {
    const copy = Buffer.from(all);
    copy[batches[0].length + 30] ^= 0xff;
    expect(() => decodeRecordBatches(copy)).toThrow(ProtocolError);
  });

  it('an unknown magic is unsupported-version', () => {
    const copy = Buffer.from(batches[0]);
    copy[16] = 3;
    expect(() => decodeRecordBatches(copy)).toThrow(expect.objectContaining({ kind: 'unsupported-version' }));
    expect(readRecordBatchHeader(batches[0]).magic).toBe(2);
  });
});
