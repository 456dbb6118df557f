// Kafka request/response framing shared by the broker and by test clients: an int32 size prefix, then the request
// header (v0/v1/v2) or response header (v0/v1), then the body, with header versions chosen per API and version.
//
//   const frame = encodeRequest(ApiKey.Metadata, 12, 7, 'my-client', Metadata.create({ topics: null }));
//   const header = decodeRequestHeader(new Reader(frame, 4));           // { apiKey: 3, apiVersion: 12, ... }
//   const { correlationId, body } = decodeResponse(responseFrame, ApiKey.Metadata, 12);
import { API_DEFINITIONS, type ApiMessages, requestHeaderVersion, responseHeaderVersion } from './generated/apis';
import { RequestHeader } from './generated/request-header';
import { ResponseHeader } from './generated/response-header';
import { ProtocolError } from './primitives/protocol-error';
import { Reader, type TaggedField } from './primitives/reader';
import { Writer } from './primitives/writer';

type RequestOf<K extends number> = K extends keyof ApiMessages ? ApiMessages[K]['request'] : unknown;
type ResponseOf<K extends number> = K extends keyof ApiMessages ? ApiMessages[K]['response'] : unknown;

export interface DecodedRequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Null when the client sent none; '' in header v0 (ControlledShutdown v0), which has no client id. */
  clientId: string | null;
  /** 0, 1 or 2. */
  headerVersion: number;
  _unknownTaggedFields?: TaggedField[];
}

export interface DecodedResponse<T> {
  correlationId: number;
  headerVersion: number;
  body: T;
  _unknownTaggedFields?: TaggedField[];
}

function api(apiKey: number) {
  const def = API_DEFINITIONS.get(apiKey);
  if (def === undefined) throw new ProtocolError('unsupported-version', `unknown API key ${apiKey}`);
  return def;
}

/**
 * A size-prefixed request frame. `body` is either the request value (encoded with the API's request codec) or its
 * already-encoded bytes.
 */
export function encodeRequest<K extends number>(apiKey: K, apiVersion: number, correlationId: number, clientId: string | null, body: RequestOf<K> | Buffer): Buffer {
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const w = new Writer(256);
  const at = w.startSize();
  RequestHeader.encode(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }, headerVersion);
  if (Buffer.isBuffer(body)) w.raw(body);
  else api(apiKey).request.encode(w, body, apiVersion);
  w.endSize(at);
  return w.finish();
}

/**
 * Reads a request header from `r` (positioned after the size prefix), leaving `r` at the body. The API key and
 * version are read first to choose the header version. For an unknown API key the header is read as v1 and a
 * missing or unreadable client id becomes null, so the broker can still answer with the correlation id.
 */
export function decodeRequestHeader(r: Reader): DecodedRequestHeader {
  if (r.remaining < 8) throw new ProtocolError('truncated', `request header needs 8 bytes, ${r.remaining} left`);
  const apiKey = r.buf.readInt16BE(r.pos);
  const apiVersion = r.buf.readInt16BE(r.pos + 2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  if (!API_DEFINITIONS.has(apiKey)) {
    const correlationId = r.buf.readInt32BE(r.pos + 4);
    r.pos += 8;
    let clientId: string | null = null;
    const start = r.pos;
    try {
      clientId = r.nullableString();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      r.pos = start;
    }
    return { apiKey, apiVersion, correlationId, clientId, headerVersion };
  }
  const h = RequestHeader.decode(r, headerVersion);
  const out: DecodedRequestHeader = { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId, headerVersion };
  if (h._unknownTaggedFields !== undefined) out._unknownTaggedFields = h._unknownTaggedFields;
  return out;
}

/**
 * Reads a whole request payload (after the size prefix): header, then body at the header's version. Throws
 * ProtocolError('unsupported-version') for an unknown API key or a version the definitions do not cover; use
 * decodeRequestHeader first when the header is needed to answer such requests.
 */
export function decodeRequest(payload: Buffer): { header: DecodedRequestHeader; body: any } {
  const r = new Reader(payload);
  const header = decodeRequestHeader(r);
  const body = api(header.apiKey).request.decode(r, header.apiVersion);
  return { header, body };
}

/** A size-prefixed response frame; `body` is the response value or its already-encoded bytes. */
export function encodeResponse<K extends number>(apiKey: K, apiVersion: number, correlationId: number, body: ResponseOf<K> | Buffer): Buffer {
  const w = new Writer(Buffer.isBuffer(body) ? body.length + 16 : 256);
  const at = w.startSize();
  ResponseHeader.encode(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
  if (Buffer.isBuffer(body)) w.raw(body);
  else api(apiKey).response.encode(w, body, apiVersion);
  w.endSize(at);
  return w.finish();
}

/**
 * Decodes a size-prefixed response frame for the request (apiKey, apiVersion) it answers. The size must match the
 * frame and the body must use every byte.
 */
export function decodeResponse<K extends number>(frame: Buffer, apiKey: K, apiVersion: number): DecodedResponse<ResponseOf<K>> {
  const r = new Reader(frame);
  const size = r.int32();
  if (size !== r.remaining) throw new ProtocolError('invalid-length', `response frame says ${size} bytes, has ${r.remaining}`);
  const headerVersion = responseHeaderVersion(apiKey, apiVersion);
  const h = ResponseHeader.decode(r, headerVersion);
  const body = api(apiKey).response.decode(r, apiVersion) as ResponseOf<K>;
  if (r.remaining !== 0) throw new ProtocolError('malformed', `${r.remaining} bytes left after response body`);
  const out: DecodedResponse<ResponseOf<K>> = { correlationId: h.correlationId, headerVersion, body };
  if (h._unknownTaggedFields !== undefined) out._unknownTaggedFields = h._unknownTaggedFields;
  return out;
}
