// One entry point over the codecs, keyed by the compression type in a batch's attributes (bits 0-2).
// Types 5-7 do not exist: asking for them is a ProtocolError, as Kafka answers UNSUPPORTED_COMPRESSION_TYPE.
import { CompressionType } from '../records/batch-header';
import { ProtocolError } from '../primitives/protocol-error';
import { asBuffer, type CompressionCodec, type CompressOptions, type DecompressOptions } from './codec';
import { gzipCodec } from './gzip';
import { lz4Codec } from './lz4';
import { snappyCodec } from './snappy';
import { zstdCodec } from './zstd';

const CODECS: readonly (CompressionCodec | undefined)[] = [undefined, gzipCodec, snappyCodec, lz4Codec, zstdCodec];

/** The codec of a compression type; null for CompressionType.None. Throws ProtocolError for types 5-7. */
export function compressionCodec(type: CompressionType | number): CompressionCodec | null {
  if (type === CompressionType.None) return null;
  const codec = CODECS[type];
  if (!codec) throw new ProtocolError('malformed', `unknown compression type ${type}`);
  return codec;
}

export function compress(type: CompressionType | number, data: Uint8Array, options?: CompressOptions): Buffer {
  return compressionCodec(type)?.compress(data, options) ?? asBuffer(data);
}

export function decompress(type: CompressionType | number, data: Uint8Array, options?: DecompressOptions): Buffer {
  return compressionCodec(type)?.decompress(data, options) ?? asBuffer(data);
}

export async function compressAsync(type: CompressionType | number, data: Uint8Array, options?: CompressOptions): Promise<Buffer> {
  const codec = compressionCodec(type);
  return codec ? codec.compressAsync(data, options) : asBuffer(data);
}

export async function decompressAsync(type: CompressionType | number, data: Uint8Array, options?: DecompressOptions): Promise<Buffer> {
  const codec = compressionCodec(type);
  return codec ? codec.decompressAsync(data, options) : asBuffer(data);
}
