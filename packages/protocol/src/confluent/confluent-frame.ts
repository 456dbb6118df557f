// The Confluent Schema Registry wire framing of a serialized key or value:
//   magic byte 0 | schema id int32 big-endian | [Protobuf only: message indexes] | payload
// Protobuf message indexes locate the message type inside its .proto file: a zigzag varint count, then that many
// zigzag varint indexes (the path of nested message types); the common case [0] is written as the single byte 0.
// One decoder for all formats, checking every length against the bytes present (franz-go's ConfluentHeader is the
// model); any malformed input is a ProtocolError.
import { ProtocolError } from '../primitives/protocol-error';

export const CONFLUENT_MAGIC_BYTE = 0;
/** Magic byte + schema id. */
export const CONFLUENT_HEADER_SIZE = 5;

export interface ConfluentFrame {
  schemaId: number;
  /** Protobuf only: the message-index path ([0] for the first message of the file). */
  messageIndexes?: number[];
  /** The serialized data after the framing (a view into the input). */
  payload: Buffer;
}

export interface DecodeConfluentFrameOptions {
  /** Read the Protobuf message indexes after the schema id. */
  protobuf?: boolean;
}

function zigzagVarint(buf: Buffer, pos: number): [number, number] {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= buf.length) throw new ProtocolError('truncated', 'Confluent frame: truncated message-index varint');
    const b = buf[pos++];
    u |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [(u >>> 1) ^ -(u & 1), pos];
  }
  throw new ProtocolError('malformed', 'Confluent frame: message-index varint longer than 5 bytes');
}

export function decodeConfluentFrame(buf: Buffer, options?: DecodeConfluentFrameOptions): ConfluentFrame {
  if (buf.length < CONFLUENT_HEADER_SIZE) {
    throw new ProtocolError('truncated', `Confluent frame of ${buf.length} bytes is shorter than its ${CONFLUENT_HEADER_SIZE}-byte header`);
  }
  if (buf[0] !== CONFLUENT_MAGIC_BYTE) throw new ProtocolError('malformed', `Confluent frame: unknown magic byte ${buf[0]}`);
  const schemaId = buf.readInt32BE(1);
  if (schemaId < 0) throw new ProtocolError('malformed', `Confluent frame: negative schema id ${schemaId}`);
  if (!options?.protobuf) return { schemaId, payload: buf.subarray(CONFLUENT_HEADER_SIZE) };

  const [count, afterCount] = zigzagVarint(buf, CONFLUENT_HEADER_SIZE);
  let pos = afterCount;
  if (count === 0) return { schemaId, messageIndexes: [0], payload: buf.subarray(pos) };
  if (count < 0) throw new ProtocolError('malformed', `Confluent frame: negative message-index count ${count}`);
  if (count > buf.length - pos) {
    throw new ProtocolError('invalid-length', `Confluent frame: ${count} message indexes cannot fit in ${buf.length - pos} bytes`);
  }
  const messageIndexes: number[] = [];
  for (let i = 0; i < count; i++) {
    let index: number;
    [index, pos] = zigzagVarint(buf, pos);
    if (index < 0) throw new ProtocolError('malformed', `Confluent frame: negative message index ${index}`);
    messageIndexes.push(index);
  }
  return { schemaId, messageIndexes, payload: buf.subarray(pos) };
}

function writeZigzag(out: number[], v: number): void {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
}

/** Frames `payload`; pass `messageIndexes` for Protobuf ([0] and [] are written as the single byte 0). */
export function encodeConfluentFrame(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new RangeError(`invalid schema id ${schemaId}`);
  const indexBytes: number[] = [];
  if (messageIndexes) {
    if (messageIndexes.length === 0 || (messageIndexes.length === 1 && messageIndexes[0] === 0)) indexBytes.push(0);
    else {
      writeZigzag(indexBytes, messageIndexes.length);
      for (const i of messageIndexes) {
        if (!Number.isInteger(i) || i < 0 || i > 0x7fffffff) throw new RangeError(`invalid message index ${i}`);
        writeZigzag(indexBytes, i);
      }
    }
  }
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_SIZE + indexBytes.length + payload.length);
  out[0] = CONFLUENT_MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  for (let i = 0; i < indexBytes.length; i++) out[CONFLUENT_HEADER_SIZE + i] = indexBytes[i];
  out.set(payload, CONFLUENT_HEADER_SIZE + indexBytes.length);
  return out;
}
