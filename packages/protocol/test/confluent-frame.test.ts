// The Confluent wire framing: magic 0, big-endian schema id, Protobuf message indexes as zigzag varints.
import { ProtocolError, decodeConfluentFrame, encodeConfluentFrame } from '@tributary/protocol';

const payload = Buffer.from('payload');

describe('Confluent frame', () => {
  it('Avro/JSON Schema: magic byte 0, schema id big-endian, then the payload', () => {
    const frame = encodeConfluentFrame(0x01020304, payload);
    expect(frame).toEqual(Buffer.concat([Buffer.from([0, 1, 2, 3, 4]), payload]));
    expect(decodeConfluentFrame(frame)).toEqual({ schemaId: 0x01020304, payload });
  });

  it('Protobuf [0] (the first message of the file) is the single byte 0, and decodes back to [0]', () => {
    const frame = encodeConfluentFrame(7, payload, [0]);
    expect(frame.subarray(0, 6)).toEqual(Buffer.from([0, 0, 0, 0, 7, 0]));
    expect(decodeConfluentFrame(frame, { protobuf: true })).toEqual({ schemaId: 7, messageIndexes: [0], payload });
    expect(encodeConfluentFrame(7, payload, [])).toEqual(frame); // Confluent's serializer writes [] the same way
  });

  it('Protobuf nested path [1, 0, 70] is count then indexes, zigzag varints (70 -> 0x8c 0x01)', () => {
    const frame = encodeConfluentFrame(1, payload, [1, 0, 70]);
    expect(frame.subarray(5, 10)).toEqual(Buffer.from([0x06, 0x02, 0x00, 0x8c, 0x01]));
    expect(decodeConfluentFrame(frame, { protobuf: true })).toEqual({ schemaId: 1, messageIndexes: [1, 0, 70], payload });
  });

  it('without protobuf the index bytes are payload: one decoder, told the format', () => {
    const frame = encodeConfluentFrame(1, payload, [2]);
    expect(decodeConfluentFrame(frame).payload).toEqual(Buffer.concat([Buffer.from([0x02, 0x04]), payload]));
  });

  it('an empty payload is allowed', () => {
    expect(decodeConfluentFrame(encodeConfluentFrame(3, Buffer.alloc(0))).payload.length).toBe(0);
  });

  it.each([
    ['empty input', Buffer.alloc(0), false, 'truncated'],
    ['shorter than the header', Buffer.from([0, 0, 0, 1]), false, 'truncated'],
    ['a non-zero magic byte', Buffer.from([1, 0, 0, 0, 1]), false, 'malformed'],
    ['a negative schema id', Buffer.from([0, 0xff, 0xff, 0xff, 0xff]), false, 'malformed'],
    ['protobuf without index bytes', Buffer.from([0, 0, 0, 0, 1]), true, 'truncated'],
    ['a negative index count', Buffer.from([0, 0, 0, 0, 1, 0x01]), true, 'malformed'],
    ['an index count beyond the bytes present', Buffer.from([0, 0, 0, 0, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f]), true, 'invalid-length'],
    ['an index varint cut short', Buffer.from([0, 0, 0, 0, 1, 0x02, 0x80]), true, 'truncated'],
    ['an over-long varint', Buffer.from([0, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), true, 'malformed'],
    ['a negative message index', Buffer.from([0, 0, 0, 0, 1, 0x02, 0x03]), true, 'malformed'],
  ])('%s is a ProtocolError', (_what, buf, protobuf, kind) => {
    expect(() => decodeConfluentFrame(buf, { protobuf })).toThrow(ProtocolError);
    expect(() => decodeConfluentFrame(buf, { protobuf })).toThrow(expect.objectContaining({ kind }));
  });

  it('the encoder refuses ids and indexes outside the int32 range', () => {
    expect(() => encodeConfluentFrame(-1, payload)).toThrow(RangeError);
    expect(() => encodeConfluentFrame(2 ** 31, payload)).toThrow(RangeError);
    expect(() => encodeConfluentFrame(1, payload, [1, -1])).toThrow(RangeError);
  });
});
