// The generator's own pieces: comment stripping, version ranges and conditions, defaults, names.
import { kebabCase } from '../src/code';
import { emitMessage } from '../src/emit-message';
import { parseIntDefault } from '../src/emit-types';
import { parseMessage, stripComments, structTsName } from '../src/schema';
import { parseVersions, versionCond } from '../src/versions';

describe('schema reading', () => {
  it('strips // comments but not // inside strings', () => {
    const text = '{\n  // a comment\n  "about": "see http://kafka.apache.org", // trailing\n  "n": 1\n}';
    expect(JSON.parse(stripComments(text))).toEqual({ about: 'see http://kafka.apache.org', n: 1 });
  });

  it('parses version ranges', () => {
    expect(parseVersions('0+', 'x')).toEqual({ lo: 0, hi: Infinity });
    expect(parseVersions('3-7', 'x')).toEqual({ lo: 3, hi: 7 });
    expect(parseVersions('5', 'x')).toEqual({ lo: 5, hi: 5 });
    expect(parseVersions('none', 'x')).toEqual({ lo: 0, hi: -1 });
    expect(() => parseVersions('3+5', 'x')).toThrow(/cannot parse/);
  });

  it('reduces version tests to what the surrounding versions leave undecided', () => {
    const all = { lo: 0, hi: 11 };
    expect(versionCond(parseVersions('0+', 'x'), all)).toBe(true);
    expect(versionCond(parseVersions('3+', 'x'), all)).toBe('version >= 3');
    expect(versionCond(parseVersions('0-2', 'x'), all)).toBe('version <= 2');
    expect(versionCond(parseVersions('4-6', 'x'), all)).toBe('version >= 4 && version <= 6');
    expect(versionCond(parseVersions('4', 'x'), all)).toBe('version === 4');
    expect(versionCond(parseVersions('12+', 'x'), all)).toBe(false);
    expect(versionCond(parseVersions('3+', 'x'), { lo: 5, hi: 11 })).toBe(true);
  });

  it('parses integer defaults: decimal, negative, hex, octal, with range checks', () => {
    expect(parseIntDefault('-1', 'int32', 'x')).toBe(-1n);
    expect(parseIntDefault('0x7fffffff', 'int32', 'x')).toBe(2147483647n);
    expect(parseIntDefault('-2147483648', 'int32', 'x')).toBe(-2147483648n);
    expect(parseIntDefault('010', 'int8', 'x')).toBe(8n);
    expect(parseIntDefault(-1, 'int64', 'x')).toBe(-1n);
    expect(() => parseIntDefault('128', 'int8', 'x')).toThrow(/out of range/);
    expect(() => parseIntDefault('abc', 'int16', 'x')).toThrow(/cannot parse/);
  });

  it('names structs after their message unless they already are', () => {
    expect(structTsName('ProduceRequest', 'TopicProduceData')).toBe('ProduceRequestTopicProduceData');
    expect(structTsName('MetadataResponse', 'MetadataResponseTopic')).toBe('MetadataResponseTopic');
    expect(kebabCase('KRaftVersionRecord')).toBe('kraft-version-record');
    expect(kebabCase('DescribeUserScramCredentialsRequest')).toBe('describe-user-scram-credentials-request');
  });
});

describe('emitting', () => {
  const spec = parseMessage(
    JSON.stringify({
      apiKey: 99,
      type: 'request',
      name: 'ExampleRequest',
      validVersions: '0-3',
      flexibleVersions: '2+',
      fields: [
        { name: 'ClientId', type: 'string', versions: '0+', nullableVersions: '1+', flexibleVersions: 'none' },
        { name: 'Items', type: '[]Item', versions: '1+', fields: [{ name: 'Id', type: 'int64', versions: '0+', default: '-1' }] },
        { name: 'Extra', type: 'Extra', versions: '3+', tag: 0, taggedVersions: '3+', nullableVersions: '3+', default: 'null', fields: [{ name: 'N', type: 'int8', versions: '3+' }] },
      ],
    }),
    'ExampleRequest.json',
  );
  const text = emitMessage(spec);

  it('keeps a field with flexibleVersions "none" in its classic encoding', () => {
    expect(text).toContain('if (v.clientId === null && version < 1) throw nullNotAllowed');
    expect(text).toContain('w.nullableString(v.clientId);');
    expect(text).not.toContain('compactNullableString(v.clientId)');
  });

  it('writes a nullable tagged struct only when set, behind a uvarint presence marker', () => {
    expect(text).toContain('if (version >= 3 && v.extra !== null) {');
    expect(text).toContain('_tw.uvarint(1);');
    expect(text).toContain('extra = _tr.uvarint() === 0 ? null : decodeExampleRequestExtra(_tr, version);');
  });

  it('gives fields absent from a version their default when decoding', () => {
    expect(text).toContain("id: -1n");
    expect(text).toMatch(/} else {\n\s+items = \[\];/);
  });
});
