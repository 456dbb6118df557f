// Protocol benchmark: RecordBatch validation (CRC + header, the broker's produce path), full decode and encode,
// CRC32C native and JS, and each codec's compress/decompress, each against Buffer.copy of the same bytes.
//   npx tsx tools/bench/src/protocol-bench.ts      or      npx tsx tools/bench/src/main.ts protocol
import * as os from 'node:os';
import {
  CompressionType,
  compress,
  compressionCodec,
  crc32cJs,
  crc32cNative,
  decodeRecordBatch,
  decompress,
  encodeRecordBatch,
  nativeCrc32cAvailable,
  validateRecordBatch,
  type RecordInput,
} from '@tributary/protocol';
import { measure, table, type Measurement } from './harness';

/** Records that look like application events: 16-byte keys, ~1 KiB JSON values (compressible), one header. */
function events(count: number, valueSize: number): RecordInput[] {
  const out: RecordInput[] = [];
  let x = 12345;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    let value = `{"id":${i},"user":"user-${Math.floor(rand() * 100000)}","event":"page_view","path":"/products/${Math.floor(rand() * 5000)}","ts":${1700000000000 + i}`;
    while (value.length < valueSize - 30) value += `,"f${value.length}":"${Math.floor(rand() * 1e9).toString(36)}"`;
    out.push({
      key: Buffer.from(`user-${String(i).padStart(11, '0')}`),
      value: Buffer.from(`${value}}`),
      headers: [{ key: 'trace-id', value: Buffer.from(Math.floor(rand() * 1e12).toString(16)) }],
      timestamp: 1_700_000_000_000n + BigInt(i),
    });
  }
  return out;
}

const NAMES: Record<number, string> = { 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

export function runProtocolBench(): Measurement[] {
  const rows: Measurement[] = [];
  const big = events(1000, 1024); // ~1 MiB batch
  const small = events(16, 1024); // ~16 KiB, the producer's default batch.size
  const bigBatch = encodeRecordBatch({ records: big });
  const smallBatch = encodeRecordBatch({ records: small });
  const payload = bigBatch.subarray(61); // the records section: what a codec compresses

  rows.push(measure('validate batch (CRC32C + header)', bigBatch.length, () => validateRecordBatch(bigBatch), '1000 records'));
  rows.push(measure('validate batch (CRC32C + header)', smallBatch.length, () => validateRecordBatch(smallBatch), '16 records'));
  rows.push(measure('decode batch (all records)', bigBatch.length, () => decodeRecordBatch(bigBatch), '1000 records'));
  rows.push(measure('decode batch (all records)', smallBatch.length, () => decodeRecordBatch(smallBatch), '16 records'));
  rows.push(measure('encode batch', bigBatch.length, () => encodeRecordBatch({ records: big }), '1000 records'));
  rows.push(measure('encode batch', smallBatch.length, () => encodeRecordBatch({ records: small }), '16 records'));

  if (nativeCrc32cAvailable()) rows.push(measure('CRC32C native (@node-rs/crc32)', payload.length, () => crc32cNative(payload)));
  rows.push(measure('CRC32C pure JS (slicing-by-8)', payload.length, () => crc32cJs(payload)));

  for (const type of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const name = NAMES[type];
    const packed = compress(type, payload);
    const ratio = `ratio ${(payload.length / packed.length).toFixed(2)}`;
    rows.push(measure(`${name} compress`, payload.length, () => compressionCodec(type)!.compress(payload), ratio));
    rows.push(measure(`${name} decompress`, payload.length, () => decompress(type, packed), 'MB/s of output'));
  }
  for (const type of [CompressionType.Lz4, CompressionType.Zstd]) {
    const batch = encodeRecordBatch({ records: big, compression: type });
    rows.push(measure(`decode ${NAMES[type]} batch (decompress + records)`, bigBatch.length, () => decodeRecordBatch(batch), 'MB/s of records'));
  }
  return rows;
}

export function main(): void {
  console.log(`protocol benchmark — Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${new Date().toISOString().slice(0, 10)}`);
  console.log(`CRC32C: ${nativeCrc32cAvailable() ? 'native addon loaded' : 'native addon NOT available, pure JS'}\n`);
  console.log(table(runProtocolBench()));
}

if (require.main === module) main();
