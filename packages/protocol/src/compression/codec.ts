// The shape every compression codec shares, and the guards they have in common. Each codec decodes and encodes
// synchronously (the broker may call them on its hot path); async variants run the native work off the main thread.
// Every decoding failure is a ProtocolError('corrupt'), and no codec produces more than `maxOutputBytes`: the size a
// frame declares or can possibly expand to is checked before anything of that size is allocated.
import { ProtocolError } from '../primitives/protocol-error';

export interface CompressOptions {
  /** Codec-specific level (gzip 1-9, zstd 1-22); the codec's Kafka default when absent. */
  level?: number;
}

export interface DecompressOptions {
  /** Upper bound of the decompressed size; larger output is a ProtocolError. Default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxOutputBytes?: number;
}

/** 256 MiB: far above what a Kafka batch holds (message.max.bytes is 1 MiB by default), far below what hurts. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export type CompressionCodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface CompressionCodec {
  readonly name: CompressionCodecName;
  compress(data: Uint8Array, options?: CompressOptions): Buffer;
  decompress(data: Uint8Array, options?: DecompressOptions): Buffer;
  compressAsync(data: Uint8Array, options?: CompressOptions): Promise<Buffer>;
  decompressAsync(data: Uint8Array, options?: DecompressOptions): Promise<Buffer>;
}

export const maxOutput = (options: DecompressOptions | undefined): number =>
  options?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;

export function corrupt(codec: CompressionCodecName, what: string): ProtocolError {
  return new ProtocolError('corrupt', `${codec}: ${what}`);
}

/** Runs a native decoder, turning whatever it throws into ProtocolError('corrupt'). */
export function guardDecode<T>(codec: CompressionCodecName, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw corrupt(codec, `invalid compressed data (${(err as Error)?.message ?? String(err)})`);
  }
}

export async function guardDecodeAsync<T>(codec: CompressionCodecName, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw corrupt(codec, `invalid compressed data (${(err as Error)?.message ?? String(err)})`);
  }
}

export function checkOutputSize(codec: CompressionCodecName, size: number, options: DecompressOptions | undefined): void {
  const max = maxOutput(options);
  if (size > max) throw corrupt(codec, `decompressed size ${size} exceeds the limit of ${max} bytes`);
}

/**
 * Loads a native codec package on first use. A package that cannot load (no prebuilt binary for this platform) is
 * an environment problem, not bad input: it throws a plain Error naming the package, never a ProtocolError.
 */
export function lazyNative<T>(pkg: string, load: () => T): () => T {
  let mod: T | undefined;
  let failure: unknown;
  return () => {
    if (mod !== undefined) return mod;
    if (failure === undefined) {
      try {
        mod = load();
        return mod;
      } catch (err) {
        failure = err;
      }
    }
    throw new Error(`compression package ${pkg} is not available on this platform`, { cause: failure });
  };
}

export const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
