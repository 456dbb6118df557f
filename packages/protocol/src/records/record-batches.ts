// Iterates the concatenated entries of a `records` field (Produce request, Fetch response, a log segment): RecordBatch
// v2 and legacy magic 0/1 entries alike (the magic byte sits at the same position in both). A fetch response may end
// in a partial entry (the broker cuts at max bytes): it is not an error, it is left out and reported in `truncated`.
// Anything else that is wrong - a bad CRC, a negative length, records that do not fit - throws ProtocolError.
import { ProtocolError } from '../primitives/protocol-error';
import { BATCH_OFFSETS, LOG_OVERHEAD } from './batch-header';
import { decodeLegacyMessage } from './legacy-message';
import { decodeRecordBatch, type DecodedRecordBatch, type DecodeRecordBatchOptions } from './record-batch';

export interface TruncatedEntry {
  /** Position of the partial entry in the input. */
  at: number;
  /** Its declared size (length prefix + 12), or null when even the length prefix is cut. */
  declaredSize: number | null;
  /** Bytes of it present. */
  available: number;
}

export interface DecodedRecordBatches {
  batches: DecodedRecordBatch[];
  /** The trailing partial entry that was left out, if any. */
  truncated: TruncatedEntry | null;
}

/** Decodes every complete entry of `buf`, in order. */
export function decodeRecordBatches(buf: Buffer, options?: DecodeRecordBatchOptions): DecodedRecordBatches {
  const batches: DecodedRecordBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const available = buf.length - pos;
    if (available < LOG_OVERHEAD) return { batches, truncated: { at: pos, declaredSize: null, available } };
    const length = buf.readInt32BE(pos + BATCH_OFFSETS.batchLength);
    if (length < 0) throw new ProtocolError('malformed', `record batch length ${length} at ${pos}`);
    const size = length + LOG_OVERHEAD;
    if (size > available) return { batches, truncated: { at: pos, declaredSize: size, available } };
    if (size <= BATCH_OFFSETS.magic) throw new ProtocolError('malformed', `record batch of ${size} bytes at ${pos} has no magic byte`);
    const magic = buf.readInt8(pos + BATCH_OFFSETS.magic);
    const batch =
      magic === 2
        ? decodeRecordBatch(buf, options, pos)
        : magic === 0 || magic === 1
          ? decodeLegacyMessage(buf, options, pos)
          : null;
    if (batch === null) throw new ProtocolError('unsupported-version', `record batch magic ${magic} at ${pos}`);
    batches.push(batch);
    pos += size;
  }
  return { batches, truncated: null };
}

/** The records of every complete entry, flattened, in offset order as stored. */
export function decodeRecords(buf: Buffer, options?: DecodeRecordBatchOptions): DecodedRecordBatch['records'] {
  const out: DecodedRecordBatch['records'] = [];
  for (const b of decodeRecordBatches(buf, options).batches) for (const r of b.records) out.push(r);
  return out;
}
