// LZ4 (Kafka compression type 3): the standard LZ4 frame format (lz4_Frame_format.md), as Kafka writes it.
//   magic 04 22 4D 18 | FLG | BD | [content size u64le] | [dict id u32le] | HC |
//   ([u32le block size, high bit = stored uncompressed][block][u32le block checksum?])... | 00000000 | [xxh32?]
// HC is byte 1 of xxh32 over FLG..dict id. Kafka's magic-0 messages (KAFKA-3160) hashed from the magic number on
// instead; decoding accepts either. Decoding also accepts any block size, linked or independent blocks, block and
// content checksums (kafkajs-lz4 and librdkafka set flags Kafka's Java client never does). Encoding writes exactly
// what the Java client's KafkaLZ4BlockOutputStream writes: 64 KiB independent blocks, no checksums but HC.
// The block and frame codecs are lz4-napi (napi-rs over lz4_flex, prebuilt binaries as npm packages per platform);
// this file checks the header and walks the block sizes first, so a truncated or lying frame is refused, and the
// largest possible output is known, before the native decoder runs.
import { asBuffer, checkOutputSize, corrupt, guardDecode, guardDecodeAsync, lazyNative, type CompressionCodec, type DecompressOptions } from './codec';
import { xxhash32 } from './xxhash32';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = lazyNative('lz4-napi', () => require('lz4-napi') as typeof import('lz4-napi'));

export const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** lz4 emits at most 255 bytes of a match per length byte, so a block of n bytes expands to less than 256 n. */
const MAX_EXPANSION = 256;
/** Java's KafkaLZ4BlockOutputStream default: 64 KiB blocks (BD = 0x40). */
export const LZ4_KAFKA_BLOCK_SIZE = 64 * 1024;
const BLOCK_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

export interface Lz4FrameInfo {
  blockIndependence: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: bigint | null;
  maxBlockSize: number;
  /** The header checksum was Kafka's broken magic-0 variant. */
  brokenHeaderChecksum: boolean;
  /** Bytes of the frame, from the magic number to the end mark and content checksum. */
  frameSize: number;
  /** The most the frame can decompress to (the content size when declared). */
  maxOutputSize: number;
}

/** Parses the frame header and walks its blocks without decompressing them. Throws ProtocolError('corrupt'). */
export function readLz4Frame(input: Uint8Array): Lz4FrameInfo {
  const data = asBuffer(input);
  if (data.length < 7) throw corrupt('lz4', 'truncated frame header');
  if (data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) throw corrupt('lz4', `bad frame magic 0x${data.readUInt32LE(0).toString(16)}`);
  const flg = data[4];
  const bd = data[5];
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt('lz4', `unsupported frame version in FLG 0x${flg.toString(16)}`);
  if (flg & 0x02 || bd & 0x8f) throw corrupt('lz4', 'reserved bits set in the frame descriptor');
  if (flg & FLG_DICT_ID) throw corrupt('lz4', 'frames with a dictionary id are not used by Kafka');
  const maxBlockSize = BLOCK_SIZES[(bd >> 4) & 7];
  if (maxBlockSize === undefined) throw corrupt('lz4', `invalid block size id ${(bd >> 4) & 7}`);
  const hasContentSize = (flg & FLG_CONTENT_SIZE) !== 0;
  const hcAt = 6 + (hasContentSize ? 8 : 0);
  if (data.length < hcAt + 1) throw corrupt('lz4', 'truncated frame header');
  const hc = data[hcAt];
  let broken = false;
  if (((xxhash32(data, 4, hcAt) >>> 8) & 0xff) !== hc) {
    if (((xxhash32(data, 0, hcAt) >>> 8) & 0xff) !== hc) throw corrupt('lz4', 'frame header checksum mismatch');
    broken = true;
  }
  const contentSize = hasContentSize ? data.readBigUInt64LE(6) : null;
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const contentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0;
  let pos = hcAt + 1;
  let bound = 0;
  for (;;) {
    if (data.length - pos < 4) throw corrupt('lz4', 'truncated block size (no end mark)');
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (size > maxBlockSize) throw corrupt('lz4', `block of ${size} bytes exceeds the frame's ${maxBlockSize}`);
    const need = size + (blockChecksum ? 4 : 0);
    if (need > data.length - pos) throw corrupt('lz4', `truncated block: ${need} bytes, ${data.length - pos} present`);
    pos += need;
    bound += word & BLOCK_UNCOMPRESSED ? size : Math.min(maxBlockSize, size * MAX_EXPANSION);
  }
  if (contentChecksum) {
    if (data.length - pos < 4) throw corrupt('lz4', 'truncated content checksum');
    pos += 4;
  }
  if (contentSize !== null) {
    if (contentSize > BigInt(bound)) throw corrupt('lz4', `content size ${contentSize} cannot come from these blocks`);
    bound = Number(contentSize);
  }
  return {
    blockIndependence: (flg & FLG_BLOCK_INDEPENDENCE) !== 0,
    blockChecksum,
    contentChecksum,
    contentSize,
    maxBlockSize,
    brokenHeaderChecksum: broken,
    frameSize: pos,
    maxOutputSize: bound,
  };
}

/** The frame bytes to hand to the native decoder: bytes after the frame dropped, a broken HC corrected. */
function nativeInput(input: Uint8Array, options: DecompressOptions | undefined): Buffer {
  const data = asBuffer(input);
  const info = readLz4Frame(data);
  if (info.contentSize !== null) checkOutputSize('lz4', info.maxOutputSize, options);
  const frame = data.subarray(0, info.frameSize);
  if (!info.brokenHeaderChecksum) return frame;
  const fixed = Buffer.from(frame);
  const hcAt = info.contentSize === null ? 6 : 14;
  fixed[hcAt] = (xxhash32(fixed, 4, hcAt) >>> 8) & 0xff;
  return fixed;
}

/**
 * Fast path for the frames Kafka's Java client and this codec write (independent blocks, no block or content
 * checksum): each block goes to lz4-napi's block decoder, about twice as fast as its frame decoder. The block decoder
 * takes a u32le capacity before the block; the block-size word that precedes each block in (a copy of) the frame is
 * overwritten with the frame's maximum block size, so no block is copied on the way in.
 */
function decompressIndependentBlocks(data: Buffer, info: Lz4FrameInfo, options: DecompressOptions | undefined): Buffer {
  const frame = Buffer.from(data.subarray(0, info.frameSize));
  const uncompressSync = native().uncompressSync;
  const parts: Buffer[] = [];
  let total = 0;
  let pos = 7 + (info.contentSize === null ? 0 : 8);
  for (;;) {
    const word = frame.readUInt32LE(pos);
    if (word === 0) break;
    const size = word & ~BLOCK_UNCOMPRESSED;
    let part: Buffer;
    if (word & BLOCK_UNCOMPRESSED) part = frame.subarray(pos + 4, pos + 4 + size);
    else {
      frame.writeUInt32LE(info.maxBlockSize, pos);
      part = guardDecode('lz4', () => uncompressSync(frame.subarray(pos, pos + 4 + size)));
    }
    total += part.length;
    checkOutputSize('lz4', total, options);
    parts.push(part);
    pos += 4 + size;
  }
  if (info.contentSize !== null && BigInt(total) !== info.contentSize) {
    throw corrupt('lz4', `content size ${info.contentSize} but ${total} bytes decoded`);
  }
  return parts.length === 1 ? Buffer.from(parts[0]) : Buffer.concat(parts, total);
}

export function lz4Decompress(input: Uint8Array, options?: DecompressOptions): Buffer {
  const data = asBuffer(input);
  const info = readLz4Frame(data);
  if (info.blockIndependence && !info.blockChecksum && !info.contentChecksum) {
    if (info.contentSize !== null) checkOutputSize('lz4', info.maxOutputSize, options);
    return decompressIndependentBlocks(data, info, options);
  }
  const frame = nativeInput(data, options);
  const out = guardDecode('lz4', () => native().decompressFrameSync(frame));
  checkOutputSize('lz4', out.length, options);
  return out;
}

export async function lz4DecompressAsync(input: Uint8Array, options?: DecompressOptions): Promise<Buffer> {
  const frame = nativeInput(input, options);
  const out = await guardDecodeAsync('lz4', () => native().decompressFrame(frame));
  checkOutputSize('lz4', out.length, options);
  return out;
}

export interface Lz4CompressOptions {
  /** Write the header checksum the way Kafka's magic-0 messages did (only for producing legacy data). */
  brokenHeaderChecksum?: boolean;
}

function header(broken: boolean): Buffer {
  const h = Buffer.from([0x04, 0x22, 0x4d, 0x18, FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE, 0x40, 0]);
  h[6] = (xxhash32(h, broken ? 0 : 4, 6) >>> 8) & 0xff;
  return h;
}

/** Assembles a frame from 64 KiB chunks and their compressed forms (size-prefixed, as lz4-napi returns them). */
function assemble(chunks: Buffer[], compressed: Buffer[], broken: boolean): Buffer {
  let size = 7 + 4;
  const blocks: Buffer[] = [];
  for (let i = 0; i < chunks.length; i++) {
    const c = compressed[i].subarray(4);
    blocks.push(c.length < chunks[i].length ? c : chunks[i]);
    size += 4 + blocks[i].length;
  }
  const out = Buffer.allocUnsafe(size);
  header(broken).copy(out, 0);
  let pos = 7;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    out.writeUInt32LE((b === chunks[i] ? b.length | BLOCK_UNCOMPRESSED : b.length) >>> 0, pos);
    b.copy(out, pos + 4);
    pos += 4 + b.length;
  }
  out.writeUInt32LE(0, pos);
  return out;
}

function split(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += LZ4_KAFKA_BLOCK_SIZE) out.push(data.subarray(i, i + LZ4_KAFKA_BLOCK_SIZE));
  return out;
}

export function lz4Compress(input: Uint8Array, options?: Lz4CompressOptions): Buffer {
  const chunks = split(asBuffer(input));
  const mod = native();
  return assemble(chunks, chunks.map((c) => mod.compressSync(c)), options?.brokenHeaderChecksum === true);
}

export async function lz4CompressAsync(input: Uint8Array, options?: Lz4CompressOptions): Promise<Buffer> {
  const chunks = split(asBuffer(input));
  const mod = native();
  return assemble(chunks, await Promise.all(chunks.map((c) => mod.compress(c))), options?.brokenHeaderChecksum === true);
}

export const lz4Codec: CompressionCodec = {
  name: 'lz4',
  compress: (data) => lz4Compress(data),
  decompress: lz4Decompress,
  compressAsync: (data) => lz4CompressAsync(data),
  decompressAsync: lz4DecompressAsync,
};
