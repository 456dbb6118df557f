// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), the checksum of legacy MessageSet v0/v1 messages. Node's zlib gains
// crc32 only in v22, so: the native addon of @node-rs/crc32 when it loads, slicing-by-8 in JS otherwise.
import { crcSlicingBy8, loadNativeCrc, makeCrcTables, type NativeCrc } from './crc-slicing';

const TABLES = makeCrcTables(0xedb88320);

/** CRC-32/IEEE of buf[start, end), continuing from `crc`. Pure JS. */
export function crc32Js(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  return crcSlicingBy8(TABLES, buf, start, end, crc);
}

let nativeFn: NativeCrc | null | undefined;

/** CRC-32/IEEE of buf[start, end): native when available and the input is not tiny, pure JS otherwise. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  if (end - start >= 128) {
    if (nativeFn === undefined) nativeFn = loadNativeCrc('crc32', 0xcbf43926);
    if (nativeFn) return nativeFn(start === 0 && end === buf.length ? buf : buf.subarray(start, end), 0) >>> 0;
  }
  return crc32Js(buf, start, end);
}
