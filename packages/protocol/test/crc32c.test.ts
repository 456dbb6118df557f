import { crc32c, crc32cJs } from '@tributary/protocol';

describe('crc32c', () => {
  it('matches the published check value and the iSCSI test vectors (RFC 3720 B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
  });
  it('gives the same result for every start alignment and when continued', () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 31) & 0xff));
    for (let s = 0; s < 9; s++) expect(crc32cJs(data, s)).toBe(crc32cJs(Buffer.from(data.subarray(s))));
    expect(crc32cJs(data, 40, 100, crc32cJs(data, 0, 40))).toBe(crc32cJs(data));
  });
});
