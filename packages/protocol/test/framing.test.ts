// Framing: size prefix, request header v0/v1/v2 and response header v0/v1 chosen per (API key, version), and the
// API table the choice comes from.
import {
  API_DEFINITIONS,
  ApiKey,
  ApiVersionsResponse,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  MetadataRequest,
  MetadataResponse,
  ProtocolError,
  Reader,
  requestHeaderVersion,
  responseHeaderVersion,
} from '@tributary/protocol';

describe('the API table', () => {
  it('lists API keys 0-87 in key order with their codecs and versions', () => {
    expect([...API_DEFINITIONS.keys()]).toEqual(Array.from({ length: 88 }, (_, i) => i));
    expect(ApiKey).toMatchObject({ Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19, ConsumerGroupHeartbeat: 68 });
    const produce = API_DEFINITIONS.get(ApiKey.Produce)!;
    expect(produce).toMatchObject({ name: 'Produce', minVersion: 0, maxVersion: 11, flexibleMinVersion: 9, latestVersionUnstable: false });
    expect(produce.request.name).toBe('ProduceRequest');
    expect(produce.response.name).toBe('ProduceResponse');
    expect(API_DEFINITIONS.get(ApiKey.SaslHandshake)!.flexibleMinVersion).toBe(Infinity);
    expect(API_DEFINITIONS.get(ApiKey.EndTxn)!.latestVersionUnstable).toBe(true);
    expect(API_DEFINITIONS.get(ApiKey.Metadata)!.listeners).toEqual(['zkBroker', 'broker']);
    for (const [key, api] of API_DEFINITIONS) {
      expect([api.apiKey, api.request.apiKey, api.response.apiKey]).toEqual([key, key, key]);
      expect([api.request.kind, api.response.kind]).toEqual(['request', 'response']);
    }
  });

  it('picks request header v2 for flexible versions, v1 otherwise, v0 only for ControlledShutdown v0', () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 5)).toBe(2); // newer than we know: still flexible
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(requestHeaderVersion(ApiKey.SaslHandshake, 1)).toBe(1);
    expect(requestHeaderVersion(999, 3)).toBe(1);
  });

  it('picks response header v1 for flexible versions, v0 otherwise, and always v0 for ApiVersions', () => {
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 4)).toBe(0);
    expect(responseHeaderVersion(999, 0)).toBe(0);
  });
});

describe('request frames', () => {
  it('encode a size prefix, header v2 (with its tagged fields) and the body, and decode back', () => {
    const body = MetadataRequest.create({ topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }] });
    const frame = encodeRequest(ApiKey.Metadata, 12, 7, 'client-1', body);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4, 12)).toEqual(Buffer.from([0, 3, 0, 12, 0, 0, 0, 7]));
    expect(frame.subarray(12, 23)).toEqual(Buffer.from([0, 8, ...Buffer.from('client-1'), 0])); // int16 client id, no tags
    expect(frame.subarray(23)).toEqual(encodeMessage(MetadataRequest, body, 12));

    const { header, body: decoded } = decodeRequest(frame.subarray(4));
    expect(header).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 7, clientId: 'client-1', headerVersion: 2 });
    expect(decoded).toEqual(body);
  });

  it('use header v1 for non-flexible versions and accept pre-encoded bodies', () => {
    const frame = encodeRequest(ApiKey.Metadata, 1, 8, null, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(frame).toEqual(Buffer.from([0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const r = new Reader(frame, 4);
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 8, clientId: null, headerVersion: 1 });
    expect(MetadataRequest.decode(r, 1)).toEqual(MetadataRequest.create({ topics: null }));
  });

  it('use header v0, without a client id, for ControlledShutdown v0', () => {
    const frame = encodeRequest(ApiKey.ControlledShutdown, 0, 9, 'ignored', { brokerId: 4, brokerEpoch: -1n });
    expect(frame).toEqual(Buffer.from([0, 0, 0, 12, 0, 7, 0, 0, 0, 0, 0, 9, 0, 0, 0, 4]));
    expect(decodeRequest(frame.subarray(4))).toEqual({
      header: { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: '', headerVersion: 0 },
      body: { brokerId: 4, brokerEpoch: -1n },
    });
  });

  it('still yield the API key, version and correlation id of an unknown API key', () => {
    const frame = Buffer.from([0x03, 0xe7, 0, 2, 0, 0, 0, 42, 0, 3, 0x61, 0x62, 0x63, 0xde, 0xad]);
    const r = new Reader(frame);
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 999, apiVersion: 2, correlationId: 42, clientId: 'abc', headerVersion: 1 });
    expect(r.remaining).toBe(2);
    // A client id that does not fit is dropped, the rest is kept.
    const short = new Reader(Buffer.from([0x03, 0xe7, 0, 2, 0, 0, 0, 43, 0, 9, 0x61]));
    expect(decodeRequestHeader(short)).toEqual({ apiKey: 999, apiVersion: 2, correlationId: 43, clientId: null, headerVersion: 1 });
    expect(() => decodeRequest(frame)).toThrow(expect.objectContaining({ kind: 'unsupported-version' }));
  });

  it('reject a header shorter than key, version and correlation id', () => {
    expect(() => decodeRequestHeader(new Reader(Buffer.from([0, 3, 0, 1, 0])))).toThrow(ProtocolError);
  });

  it('keep unknown tagged fields of a v2 header', () => {
    const frame = Buffer.from([0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 1, 5, 1, 0x2a]);
    const r = new Reader(frame);
    expect(decodeRequestHeader(r)).toEqual({
      apiKey: 3,
      apiVersion: 12,
      correlationId: 1,
      clientId: null,
      headerVersion: 2,
      _unknownTaggedFields: [{ tag: 5, data: Buffer.from([0x2a]) }],
    });
  });
});

describe('response frames', () => {
  it('write ApiVersions v3 with header v0 (no tagged fields after the correlation id) and decode it', () => {
    const body = ApiVersionsResponse.create({ apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 5, body);
    expect(frame.subarray(0, 10)).toEqual(Buffer.from([0, 0, 0, frame.length - 4, 0, 0, 0, 5, 0, 0]));
    expect(decodeResponse(frame, ApiKey.ApiVersions, 3)).toEqual({ correlationId: 5, headerVersion: 0, body });
  });

  it('write flexible responses with header v1 and non-flexible ones with header v0', () => {
    const body = MetadataResponse.create({ clusterId: 'c' });
    const flexible = encodeResponse(ApiKey.Metadata, 12, 6, body);
    expect(flexible.subarray(4, 9)).toEqual(Buffer.from([0, 0, 0, 6, 0]));
    expect(flexible.subarray(9)).toEqual(encodeMessage(MetadataResponse, body, 12));
    expect(decodeResponse(flexible, ApiKey.Metadata, 12)).toEqual({ correlationId: 6, headerVersion: 1, body });
    const classic = encodeResponse(ApiKey.Metadata, 8, 6, body);
    expect(classic.subarray(8)).toEqual(encodeMessage(MetadataResponse, body, 8));
    expect(decodeResponse(classic, ApiKey.Metadata, 8).headerVersion).toBe(0);
  });

  it('refuse a frame whose size prefix disagrees with its length, or with bytes left after the body', () => {
    const frame = encodeResponse(ApiKey.Metadata, 8, 6, MetadataResponse.create());
    expect(() => decodeResponse(frame.subarray(0, frame.length - 1), ApiKey.Metadata, 8)).toThrow(expect.objectContaining({ kind: 'invalid-length' }));
    const padded = Buffer.concat([frame, Buffer.from([0])]);
    padded.writeInt32BE(padded.length - 4, 0);
    expect(() => decodeResponse(padded, ApiKey.Metadata, 8)).toThrow(expect.objectContaining({ kind: 'malformed' }));
  });
});
