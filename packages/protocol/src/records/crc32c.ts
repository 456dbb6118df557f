// CRC32C (Castagnoli), the checksum of RecordBatch v2. Two implementations with one entry point `crc32c`:
//  - native: the SSE4.2/ARMv8 CRC instructions through @node-rs/crc32 (a napi-rs addon whose prebuilt binary comes
//    inside an npm package per platform), loaded lazily on the first checksum;
//  - pure JS: slicing-by-8, used when the native module cannot load and for short inputs, where the cost of calling
//    into the addon is larger than the checksum itself.
// `setCrc32cImplementation` replaces the choice (tests and benchmarks use it to pin one).

import { crcSlicingBy8, loadNativeCrc, makeCrcTables, type NativeCrc } from './crc-slicing';

const TABLES = makeCrcTables(0x82f63b78);

/** CRC32C of buf[start, end), continuing from `crc` (0 for a fresh checksum). Pure JS. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  return crcSlicingBy8(TABLES, buf, start, end, crc);
}

let nativeFn: NativeCrc | null | undefined; // undefined: not tried yet; null: unavailable

function loadNative(): NativeCrc | null {
  if (nativeFn === undefined) nativeFn = loadNativeCrc('crc32c', 0xe3069283);
  return nativeFn;
}

/** Below this many bytes the JS loop beats the call into the addon (about 100 bytes on the 2-core x86 machine). */
export const CRC32C_NATIVE_THRESHOLD = 128;

/**
 * CRC32C of buf[start, end) through the native addon, continuing from `crc`; null when the addon is unavailable.
 * Always native, whatever the size (the benchmark and the tests use it to measure and check the addon itself).
 */
export function crc32cNative(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number | null {
  const fn = loadNative();
  if (!fn) return null;
  return fn(start === 0 && end === buf.length ? buf : buf.subarray(start, end), crc) >>> 0;
}

/** Whether the native CRC32C addon loaded and passed its self-check. */
export function nativeCrc32cAvailable(): boolean {
  return loadNative() !== null;
}

const hybrid = (buf: Uint8Array, start: number, end: number): number => {
  if (end - start < CRC32C_NATIVE_THRESHOLD) return crc32cJs(buf, start, end);
  const fn = nativeFn === undefined ? loadNative() : nativeFn;
  if (!fn) return crc32cJs(buf, start, end);
  return fn(start === 0 && end === buf.length ? buf : buf.subarray(start, end), 0) >>> 0;
};

let impl: (buf: Uint8Array, start: number, end: number) => number = hybrid;

/** CRC32C of buf[start, end). Native when available (and the input is not tiny), pure JS otherwise. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return impl(buf, start, end);
}

/** Replaces the implementation (used to pin one in tests and benchmarks); returns the previous one. */
export function setCrc32cImplementation(fn: (buf: Uint8Array, start: number, end: number) => number): typeof impl {
  const prev = impl;
  impl = fn;
  return prev;
}

/** Restores the default: the native addon when it loads, pure JS otherwise. Returns which one is in use. */
export function useNativeCrc32c(): 'native' | 'js' {
  impl = hybrid;
  return loadNative() ? 'native' : 'js';
}
