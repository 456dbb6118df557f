// gzip (Kafka compression type 1) through Node's zlib. Kafka's Java client writes one gzip member at the default
// level 6 with an 8 KiB buffer; any valid gzip stream (several members included) decodes.
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { corrupt, guardDecode, guardDecodeAsync, maxOutput, type CompressionCodec } from './codec';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/** Kafka's default gzip level (java.util.zip.Deflater.DEFAULT_COMPRESSION). */
export const GZIP_DEFAULT_LEVEL = 6;

export const gzipCodec: CompressionCodec = {
  name: 'gzip',
  compress: (data, options) => zlib.gzipSync(data, { level: options?.level ?? GZIP_DEFAULT_LEVEL }),
  decompress: (data, options) => {
    if (data.length === 0) throw corrupt('gzip', 'empty input');
    return guardDecode('gzip', () => zlib.gunzipSync(data, { maxOutputLength: maxOutput(options) }));
  },
  compressAsync: (data, options) => gzipAsync(data, { level: options?.level ?? GZIP_DEFAULT_LEVEL }),
  decompressAsync: async (data, options) => {
    if (data.length === 0) throw corrupt('gzip', 'empty input');
    return guardDecodeAsync('gzip', () => gunzipAsync(data, { maxOutputLength: maxOutput(options) }));
  },
};
