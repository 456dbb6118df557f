// Compaction with librdkafka (confluent-kafka-python): batches it compressed with each codec are cleaned (the
// cleaner decompresses them, drops the superseded records and recompresses the rest with the same codec) and
// librdkafka's consumer reads the result back over the offset gaps; a keyless message to a compacted topic is
// refused with INVALID_RECORD, as Kafka refuses it.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { PYTHON, python, requireProgram } from './programs';

jest.setTimeout(180_000);

const PRODUCE_CLEAN_CONSUME = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, codec, phase = sys.argv[1:5]
if phase == 'produce':
    errors = {}
    def report(err, msg):
        if err: errors[(msg.key() or b'<none>').decode()] = err.name()
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'compression.type': codec, 'linger.ms': 20})
    for r in range(10):
        for k in range(50):
            p.produce(topic, key=b'k%d' % k, value=(b'r%d-' % r) + b'x' * 200, partition=0, on_delivery=report)
        p.flush(20)
    p.produce(topic, key=b'k7', value=None, partition=0, on_delivery=report)  # a tombstone
    p.flush(20)
    p.produce(topic, value=b'no key', partition=0, on_delivery=report)
    p.flush(20)
    print(json.dumps({'errors': errors}))
else:
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-manual-assign', 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, 0, 0)])
    seen = []
    while True:
        m = c.poll(2)
        if m is None: break
        if m.error(): raise SystemExit(str(m.error()))
        seen.append([m.offset(), m.key().decode(), None if m.value() is None else m.value().decode()[:3]])
    c.close()
    print(json.dumps({'seen': seen}))
`;

describe('compaction with librdkafka', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram(PYTHON);
    kafka = await createTestBroker({ config: { 'log.cleaner.enable': 'false' } });
  });
  afterAll(async () => kafka.close());

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('%s batches: cleaned, read back by librdkafka; keyless refused', async (codec) => {
    const topic = `compact-${codec}`;
    await kafka.broker.logs.createTopic(topic, {
      partitions: 1,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': '32768', 'min.cleanable.dirty.ratio': '0.01' },
    });
    const produced = JSON.parse(await python(PRODUCE_CLEAN_CONSUME, [kafka.bootstrap, topic, codec, 'produce'])) as { errors: Record<string, string> };
    expect(produced.errors).toEqual({ '<none>': 'INVALID_RECORD' });
    const log = kafka.broker.logs.log(topic, 0)!;
    log.roll();
    const [pass] = await kafka.broker.logs.cleaner.cleanNow(topic);
    expect(pass.recordsKept).toBe(50);
    const { seen } = JSON.parse(await python(PRODUCE_CLEAN_CONSUME, [kafka.bootstrap, topic, codec, 'consume'])) as { seen: [number, string, string | null][] };
    expect(seen).toHaveLength(50);
    const latest = new Map(seen.map(([, k, v]) => [k, v]));
    for (let k = 0; k < 50; k++) expect(latest.get(`k${k}`)).toBe(k === 7 ? null : 'r9-');
    expect(seen[0][0]).toBeGreaterThan(0); // the early offsets are gone
  });
});
