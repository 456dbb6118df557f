// Snappy (Kafka compression type 2), in both forms Kafka clients write:
//  - raw snappy: a uvarint uncompressed length, then the snappy elements (kafkajs-snappy, librdkafka's default);
//  - the Java xerial framing of snappy-java's SnappyOutputStream, which Kafka's Java client writes:
//      magic 82 'SNAPPY' 00 | int32 version (1) | int32 min compatible version (1) | ([int32 length][raw snappy])...
// Decoding accepts both (the magic decides); encoding writes xerial by default, which every client reads.
// The block codec is the `snappy` package (napi-rs, prebuilt binaries as npm packages per platform).
import { asBuffer, checkOutputSize, corrupt, guardDecode, lazyNative, maxOutput, type CompressionCodec, type DecompressOptions } from './codec';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = lazyNative('snappy', () => require('snappy') as typeof import('snappy'));

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size, which Kafka's producer uses. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;
/** A snappy element of n bytes produces at most 64/3 n bytes (a 3-byte copy of 64), so this bounds any output. */
const MAX_EXPANSION = 22;

export interface SnappyCompressOptions {
  /** 'xerial' (default, what Kafka's Java client writes) or 'raw'. */
  framing?: 'xerial' | 'raw';
  /** Uncompressed bytes per xerial block; default 32 KiB. */
  blockSize?: number;
}

export const isXerialFramed = (data: Uint8Array): boolean =>
  data.length >= XERIAL_MAGIC.length && asBuffer(data).subarray(0, 8).equals(XERIAL_MAGIC);

/** The uncompressed length a raw snappy block declares, checked against its possible expansion and the limit. */
function declaredLength(block: Buffer, limit: number): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    if (i >= block.length) throw corrupt('snappy', 'truncated length preamble');
    const b = block[i];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (value > block.length * MAX_EXPANSION) throw corrupt('snappy', `block of ${block.length} bytes claims ${value} bytes`);
      if (value > limit) throw corrupt('snappy', `decompressed size ${value} exceeds the limit of ${limit} bytes`);
      return value;
    }
  }
  throw corrupt('snappy', 'length preamble longer than 5 bytes');
}

function rawDecompress(block: Buffer, limit: number): Buffer {
  declaredLength(block, limit);
  return guardDecode('snappy', () => native().uncompressSync(block, { asBuffer: true }) as Buffer);
}

/** Splits a xerial stream into its raw blocks, checking every length field against the bytes present. */
function xerialBlocks(data: Buffer): Buffer[] {
  if (data.length < XERIAL_HEADER_SIZE) throw corrupt('snappy', 'truncated xerial header');
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('snappy', 'truncated xerial block length');
    const n = data.readInt32BE(pos);
    pos += 4;
    if (n < 0 || n > data.length - pos) throw corrupt('snappy', `xerial block of ${n} bytes, ${data.length - pos} present`);
    if (n > 0) blocks.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return blocks;
}

export function snappyDecompress(input: Uint8Array, options?: DecompressOptions): Buffer {
  const data = asBuffer(input);
  const limit = maxOutput(options);
  if (!isXerialFramed(data)) return rawDecompress(data, limit);
  const blocks = xerialBlocks(data);
  const out: Buffer[] = [];
  let total = 0;
  for (const block of blocks) {
    const b = rawDecompress(block, limit - total);
    total += b.length;
    out.push(b);
  }
  return out.length === 1 ? out[0] : Buffer.concat(out, total);
}

export async function snappyDecompressAsync(input: Uint8Array, options?: DecompressOptions): Promise<Buffer> {
  const data = asBuffer(input);
  const limit = maxOutput(options);
  const blocks = isXerialFramed(data) ? xerialBlocks(data) : [data];
  let total = 0;
  for (const block of blocks) total += declaredLength(block, limit - total);
  const mod = native();
  const out = await Promise.all(
    blocks.map((b) =>
      mod.uncompress(b, { asBuffer: true }).then(
        (r) => r as Buffer,
        (err: Error) => {
          throw corrupt('snappy', `invalid compressed data (${err.message})`);
        },
      ),
    ),
  );
  checkOutputSize('snappy', total, options);
  return out.length === 1 ? out[0] : Buffer.concat(out, total);
}

function xerialHeader(): Buffer {
  const h = Buffer.allocUnsafe(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(1, 8);
  h.writeInt32BE(1, 12);
  return h;
}

function frame(blocks: Buffer[]): Buffer {
  let size = XERIAL_HEADER_SIZE;
  for (const b of blocks) size += 4 + b.length;
  const out = Buffer.allocUnsafe(size);
  xerialHeader().copy(out, 0);
  let pos = XERIAL_HEADER_SIZE;
  for (const b of blocks) {
    out.writeInt32BE(b.length, pos);
    b.copy(out, pos + 4);
    pos += 4 + b.length;
  }
  return out;
}

function chunks(data: Buffer, size: number): Buffer[] {
  if (!(size > 0)) throw new RangeError(`snappy block size ${size}`);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
}

export function snappyCompress(input: Uint8Array, options?: SnappyCompressOptions): Buffer {
  const data = asBuffer(input);
  const mod = native();
  if (options?.framing === 'raw') return mod.compressSync(data);
  return frame(chunks(data, options?.blockSize ?? XERIAL_BLOCK_SIZE).map((c) => mod.compressSync(c)));
}

export async function snappyCompressAsync(input: Uint8Array, options?: SnappyCompressOptions): Promise<Buffer> {
  const data = asBuffer(input);
  const mod = native();
  if (options?.framing === 'raw') return mod.compress(data);
  return frame(await Promise.all(chunks(data, options?.blockSize ?? XERIAL_BLOCK_SIZE).map((c) => mod.compress(c))));
}

export const snappyCodec: CompressionCodec = {
  name: 'snappy',
  compress: (data) => snappyCompress(data),
  decompress: snappyDecompress,
  compressAsync: (data) => snappyCompressAsync(data),
  decompressAsync: snappyDecompressAsync,
};
