// Zstandard (Kafka compression type 4, KIP-110). The codec is @toondepauw/node-zstd (napi-rs over libzstd, with
// prebuilt binaries as npm packages per platform, synchronous and async calls). Before the native decoder runs, the
// frames are walked block by block (RFC 8878 section 3.1): truncation is refused up front, and the largest possible
// output (the declared content size, or the sum of the blocks' maxima) is checked against the limit, so a few bytes
// of RLE blocks claiming gigabytes are refused before anything is allocated. A frame without a content size (Java's
// zstd-jni streams write none) is bounded at 128 KiB per compressed block, so it may be refused when its real output
// is within that much of the limit.
import { asBuffer, checkOutputSize, corrupt, guardDecode, guardDecodeAsync, type CompressionCodec, type CompressOptions, type DecompressOptions, lazyNative } from './codec';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = lazyNative('@toondepauw/node-zstd', () => require('@toondepauw/node-zstd') as typeof import('@toondepauw/node-zstd'));

export const ZSTD_MAGIC = 0xfd2fb528;
/** Kafka's default zstd level (compression.zstd.level). */
export const ZSTD_DEFAULT_LEVEL = 3;
const BLOCK_MAX = 128 * 1024;
const FCS_SIZES = [0, 2, 4, 8];

/** Walks every frame (skippable frames included) and returns the most the input can decompress to. */
export function zstdMaxOutputSize(input: Uint8Array): number {
  const data = asBuffer(input);
  if (data.length === 0) throw corrupt('zstd', 'empty input');
  let pos = 0;
  let total = 0;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('zstd', 'truncated frame magic');
    const magic = data.readUInt32LE(pos);
    pos += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (data.length - pos < 4) throw corrupt('zstd', 'truncated skippable frame');
      const n = data.readUInt32LE(pos);
      if (n > data.length - pos - 4) throw corrupt('zstd', 'truncated skippable frame');
      pos += 4 + n;
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt('zstd', `bad frame magic 0x${magic.toString(16)}`);
    if (pos >= data.length) throw corrupt('zstd', 'truncated frame header');
    const fhd = data[pos++];
    if (fhd & 0x08) throw corrupt('zstd', 'reserved bit set in the frame header');
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >> 6;
    const fcsSize = fcsFlag === 0 && singleSegment ? 1 : FCS_SIZES[fcsFlag];
    const dictSize = [0, 1, 2, 4][fhd & 3];
    const headerRest = (singleSegment ? 0 : 1) + dictSize + fcsSize;
    if (data.length - pos < headerRest) throw corrupt('zstd', 'truncated frame header');
    pos += (singleSegment ? 0 : 1) + dictSize;
    let fcs = -1;
    if (fcsSize === 1) fcs = data[pos];
    else if (fcsSize === 2) fcs = data.readUInt16LE(pos) + 256;
    else if (fcsSize === 4) fcs = data.readUInt32LE(pos);
    else if (fcsSize === 8) fcs = Number(data.readBigUInt64LE(pos));
    pos += fcsSize;
    let bound = 0;
    for (;;) {
      if (data.length - pos < 3) throw corrupt('zstd', 'truncated block header');
      const h = data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16);
      pos += 3;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw corrupt('zstd', 'reserved block type');
      const content = type === 1 ? 1 : size;
      if (content > data.length - pos) throw corrupt('zstd', `truncated block: ${content} bytes, ${data.length - pos} present`);
      if (type === 2 && size > BLOCK_MAX) throw corrupt('zstd', `compressed block of ${size} bytes`);
      pos += content;
      bound += type === 2 ? BLOCK_MAX : size;
      if (h & 1) break;
    }
    if (fhd & 0x04) {
      if (data.length - pos < 4) throw corrupt('zstd', 'truncated content checksum');
      pos += 4;
    }
    if (fcs >= 0) {
      if (fcs > bound) throw corrupt('zstd', `content size ${fcs} cannot come from these blocks`);
      bound = fcs;
    }
    total += bound;
  }
  return total;
}

const encoders = new Map<number, InstanceType<typeof import('@toondepauw/node-zstd').Encoder>>();
let decoder: InstanceType<typeof import('@toondepauw/node-zstd').Decoder> | undefined;

function encoderFor(level: number) {
  let e = encoders.get(level);
  if (!e) encoders.set(level, (e = new (native().Encoder)(level)));
  return e;
}
const decoderInstance = () => (decoder ??= new (native().Decoder)());

export function zstdDecompress(input: Uint8Array, options?: DecompressOptions): Buffer {
  const data = asBuffer(input);
  checkOutputSize('zstd', zstdMaxOutputSize(data), options);
  return guardDecode('zstd', () => decoderInstance().decodeSync(data));
}

export async function zstdDecompressAsync(input: Uint8Array, options?: DecompressOptions): Promise<Buffer> {
  const data = asBuffer(input);
  checkOutputSize('zstd', zstdMaxOutputSize(data), options);
  return guardDecodeAsync('zstd', () => decoderInstance().decode(data));
}

export const zstdCompress = (data: Uint8Array, options?: CompressOptions): Buffer =>
  encoderFor(options?.level ?? ZSTD_DEFAULT_LEVEL).encodeSync(asBuffer(data));

export const zstdCompressAsync = (data: Uint8Array, options?: CompressOptions): Promise<Buffer> =>
  encoderFor(options?.level ?? ZSTD_DEFAULT_LEVEL).encode(asBuffer(data));

export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  compress: zstdCompress,
  decompress: zstdDecompress,
  compressAsync: zstdCompressAsync,
  decompressAsync: zstdDecompressAsync,
};
