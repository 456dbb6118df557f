import { ProtocolError, Reader, Writer } from '@tributary/protocol';

describe('Reader/Writer primitives', () => {
  it('round-trips every fixed-width and variable-length primitive', () => {
    const w = new Writer(4);
    w.int8(-5).int16(-300).int32(-70000).int64(-(2n ** 62n)).uint32(0xffffffff).float64(1.5).bool(true);
    w.uvarint(300).varint(-1).varint(2147483647).varint(-2147483648).varlong(-(2n ** 63n)).varlong(2n ** 63n - 1n);
    w.string('héllo').nullableString(null).compactString('x').compactNullableString(null);
    w.bytes(Buffer.from([1, 2])).nullableBytes(null).compactBytes(Buffer.alloc(0)).compactNullableBytes(null);
    w.uuid('0123456789abcdef-0123-4567-89ab-cdef'.replace(/-/g, '').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));
    w.compactArray([1, 2, 3], (w2, v) => w2.int32(v)).taggedFields([{ tag: 3, data: Buffer.from([9]) }, { tag: 1, data: Buffer.alloc(0) }]);
    const r = new Reader(w.finish());
    expect([r.int8(), r.int16(), r.int32(), r.int64(), r.uint32(), r.float64(), r.bool()]).toEqual([-5, -300, -70000, -(2n ** 62n), 0xffffffff, 1.5, true]);
    expect([r.uvarint(), r.varint(), r.varint(), r.varint(), r.varlong(), r.varlong()]).toEqual([300, -1, 2147483647, -2147483648, -(2n ** 63n), 2n ** 63n - 1n]);
    expect([r.string(), r.nullableString(), r.compactString(), r.compactNullableString()]).toEqual(['héllo', null, 'x', null]);
    expect([r.bytes(), r.nullableBytes(), r.compactBytes(), r.compactNullableBytes()]).toEqual([Buffer.from([1, 2]), null, Buffer.alloc(0), null]);
    expect(r.uuid()).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(r.compactArray((x) => x.int32())).toEqual([1, 2, 3]);
    const seen: number[] = [];
    const unknown = r.taggedFields((tag) => (seen.push(tag), tag === 1));
    expect(seen).toEqual([1, 3]);
    expect(unknown).toEqual([{ tag: 3, data: Buffer.from([9]) }]);
    expect(r.remaining).toBe(0);
  });

  it('rejects an array count that cannot fit in the remaining bytes without allocating it', () => {
    const frame = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0]);
    expect(() => new Reader(frame).array((r) => r.int32())).toThrow(ProtocolError);
    expect(() => new Reader(frame).array((r) => r.int32())).toThrow(/cannot fit/);
  });

  it('rejects truncated strings, bytes and over-long varints', () => {
    expect(() => new Reader(Buffer.from([0, 10, 65])).string()).toThrow(/truncated/);
    expect(() => new Reader(Buffer.from([0, 0, 0, 9, 1])).bytes()).toThrow(/truncated/);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint()).toThrow(/longer than 5/);
    expect(() => new Reader(Buffer.from([0xff])).uvarint()).toThrow(/truncated/);
    expect(() => new Reader(Buffer.from([0xff, 0xfe])).nullableString()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from([2, 5, 1, 0, 1, 0])).taggedFields()).toThrow(/out of order/);
  });
});
