// kcat (librdkafka 2.0.x from Debian) against the broker: metadata, and produce/consume with every codec.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { requireProgram, run } from './programs';

jest.setTimeout(120_000);

describe('kcat (librdkafka)', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram('kcat');
    kafka = await createTestBroker({ config: { 'num.partitions': '3' } });
  });
  afterAll(async () => kafka?.close());

  it('lists brokers and auto-created topics in metadata (-L -J)', async () => {
    await run('kcat', ['-b', kafka.bootstrap, '-P', '-t', 'meta-topic', '-p', '0'], { input: 'x\n' });
    const md = JSON.parse(await run('kcat', ['-b', kafka.bootstrap, '-L', '-J']));
    expect(md.brokers).toEqual([{ id: 1, name: `127.0.0.1:${kafka.port}` }]);
    const topic = md.topics.find((t: { topic: string }) => t.topic === 'meta-topic');
    expect(topic.partitions).toHaveLength(3);
    expect(topic.partitions[0]).toMatchObject({ partition: 0, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] });
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('produces with acks=all and %s compression and consumes every record back', async (codec) => {
    const topic = `kcat-${codec}`;
    const lines = Array.from({ length: 500 }, (_, i) => `key${i}\t${codec}-value-${i}-${'x'.repeat(i % 50)}`);
    await run('kcat', ['-b', kafka.bootstrap, '-P', '-t', topic, '-p', '1', '-z', codec, '-K', '\t', '-X', 'topic.request.required.acks=-1'], {
      input: lines.join('\n') + '\n',
    });
    const out = await run('kcat', ['-b', kafka.bootstrap, '-C', '-t', topic, '-p', '1', '-o', 'beginning', '-e', '-q', '-f', '%o\t%k\t%s\n']);
    const got = out.trim().split('\n');
    expect(got).toHaveLength(500);
    got.forEach((line, i) => expect(line).toBe(`${i}\t${lines[i]}`));
  });

  it('consumes from an offset and from the end with -o', async () => {
    const topic = 'kcat-offsets';
    await run('kcat', ['-b', kafka.bootstrap, '-P', '-t', topic, '-p', '0'], { input: 'a\nb\nc\nd\n' });
    const fromTwo = await run('kcat', ['-b', kafka.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '2', '-e', '-q']);
    expect(fromTwo.trim().split('\n')).toEqual(['c', 'd']);
    const lastOne = await run('kcat', ['-b', kafka.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '-1', '-e', '-q']);
    expect(lastOne.trim()).toBe('d');
  });

  it('carries record headers and null values (tombstones)', async () => {
    const topic = 'kcat-headers';
    await run('kcat', ['-b', kafka.bootstrap, '-P', '-t', topic, '-p', '0', '-H', 'h1=v1', '-H', 'h2=v2', '-K', ':'], { input: 'k1:value1\n' });
    await run('kcat', ['-b', kafka.bootstrap, '-P', '-t', topic, '-p', '0', '-Z', '-K', ':'], { input: 'k2:\n' });
    const out = await run('kcat', ['-b', kafka.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%k|%h|%s|%S\n']);
    expect(out.trim().split('\n')).toEqual(['k1|h1=v1,h2=v2|value1|6', 'k2||NULL|-1']);
  });
});
