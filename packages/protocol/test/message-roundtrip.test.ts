// Every generated codec, at every version: a value with every field of that version set (non-default values, then
// nulls wherever nullable, then unknown tagged fields, then empty arrays) encodes, decodes back to the same value
// using every byte, and re-encodes to identical bytes. Values come from a reading of the JSON independent of the
// generator (support/message-samples.ts), so a misread version range or default shows up here.
import * as protocol from '@tributary/protocol';
import { decodeMessage, encodeMessage, type MessageCodec, ProtocolError, Writer } from '@tributary/protocol';
import { loadDefinitions, range, SampleBuilder, type SampleOptions } from './support/message-samples';

const definitions = loadDefinitions();
const codecOf = (name: string): MessageCodec<any> => (protocol as unknown as Record<string, MessageCodec<any>>)[name];

const VARIANTS: [string, SampleOptions][] = [
  ['every field set', {}],
  ['nulls where nullable', { nulls: true }],
  ['unknown tagged fields', { unknownTags: true, arrayLength: 1 }],
  ['empty arrays', { arrayLength: 0 }],
];

describe('the generated codecs cover every definition', () => {
  it('has a codec for each of the 218 definitions, requests and responses for API keys 0-87', () => {
    expect(definitions).toHaveLength(218);
    const keys = new Set(definitions.filter((d) => d.type === 'request').map((d) => d.apiKey));
    expect([...keys].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 88 }, (_, i) => i));
    for (const d of definitions) expect(codecOf(d.name)).toBeDefined();
  });

  it.each(definitions.map((d) => [d.name, d] as const))('%s declares the versions, flexibility and kind of its definition', (_name, d) => {
    const codec = codecOf(d.name);
    const [lo, hi] = range(d.validVersions);
    const [flo] = range(d.flexibleVersions);
    expect([codec.name, codec.minVersion, codec.maxVersion]).toEqual([d.name, lo, hi]);
    expect(codec.flexibleMinVersion).toBe(d.flexibleVersions === 'none' ? Infinity : flo);
    expect(codec.apiKey).toBe(d.apiKey ?? -1);
    expect(codec.kind).toBe(d.file.includes('/') ? 'record' : d.type);
  });
});

describe.each(definitions.map((d) => [d.name, d] as const))('%s', (_name, d) => {
  const codec = codecOf(d.name);
  const [lo, hi] = range(d.validVersions);
  const versions = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

  it('round-trips every field at every version and re-encodes to identical bytes', () => {
    for (const v of versions) {
      for (const [variant, opts] of VARIANTS) {
        const value = new SampleBuilder(d, opts).build(v);
        let decoded: unknown;
        let bytes: Buffer;
        try {
          bytes = encodeMessage(codec, value, v);
          decoded = decodeMessage(codec, bytes, v);
        } catch (err) {
          throw new Error(`v${v} ${variant}: ${(err as Error).stack}`);
        }
        try {
          expect(decoded).toStrictEqual(value);
          expect(encodeMessage(codec, decoded, v)).toEqual(bytes);
        } catch (err) {
          throw new Error(`v${v} ${variant}: ${(err as Error).message}`);
        }
      }
    }
  });

  it('creates a value with every field at its default', () => {
    expect(codec.create()).toStrictEqual(new SampleBuilder(d).defaults(d.fields));
    expect(codec.create({} as never)).toStrictEqual(codec.create());
  });

  it('refuses versions outside its range', () => {
    for (const v of [lo - 1, hi + 1, 0.5]) {
      expect(() => codec.encode(new Writer(), codec.create(), v)).toThrow(ProtocolError);
    }
  });
});
