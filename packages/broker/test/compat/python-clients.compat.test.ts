// confluent-kafka-python (librdkafka) and kafka-python (pure Python) against the broker.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { PYTHON, python, requireProgram } from './programs';

jest.setTimeout(180_000);

const CONFLUENT_PRODUCE_CONSUME = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, codec = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'compression.type': codec, 'linger.ms': 5})
acked = []
def report(err, msg):
    acked.append(None if err else (msg.partition(), msg.offset()))
for i in range(2000):
    p.produce(topic, key=b'k%d' % i, value=b'value-%d' % i, partition=i % 2, headers=[('n', str(i).encode())], on_delivery=report)
remaining = p.flush(20)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-manual-assign', 'enable.auto.commit': False})
c.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
seen = {}
while len(seen) < 2000:
    m = c.poll(10)
    if m is None: break
    if m.error(): raise SystemExit(str(m.error()))
    seen[m.key().decode()] = [m.partition(), m.offset(), m.value().decode(), dict(m.headers())['n'].decode()]
c.close()
print(json.dumps({'remaining': remaining, 'acked': acked, 'seen': seen}))
`;

const KAFKA_PYTHON = `
import sys, json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=bootstrap, acks='all', compression_type='gzip')
futures = [p.send(topic, key=b'k%d' % i, value=b'v%d' % i, headers=[('h', b'x')], partition=0) for i in range(300)]
p.flush()
offsets = [f.get(timeout=10).offset for f in futures]
c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
records = [[m.offset, m.key.decode(), m.value.decode(), m.headers] for m in c]
end = c.end_offsets([tp])[tp]
print(json.dumps({'offsets': offsets, 'records': records, 'end': end}, default=lambda o: o.decode() if isinstance(o, bytes) else str(o)))
`;

describe('Python clients', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram(PYTHON);
    kafka = await createTestBroker({ config: { 'num.partitions': '2' } });
  });
  afterAll(async () => kafka?.close());

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])(
    'confluent-kafka-python produces 2000 records with acks=all and %s and a manually assigned consumer reads them all',
    async (codec) => {
      const out = JSON.parse(await python(CONFLUENT_PRODUCE_CONSUME, [kafka.bootstrap, `ckp-${codec}`, codec]));
      expect(out.remaining).toBe(0);
      expect(out.acked).toHaveLength(2000);
      expect(out.acked.every((a: unknown) => a !== null)).toBe(true);
      expect(Object.keys(out.seen)).toHaveLength(2000);
      for (let i = 0; i < 2000; i += 97) {
        expect(out.seen[`k${i}`]).toEqual([i % 2, Math.floor(i / 2), `value-${i}`, String(i)]);
      }
    },
  );

  it('kafka-python produces with gzip and acks=all, then reads from the beginning with headers', async () => {
    const out = JSON.parse(await python(KAFKA_PYTHON, [kafka.bootstrap, 'kafka-python-topic']));
    expect(out.offsets).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(out.end).toBe(300);
    expect(out.records).toHaveLength(300);
    expect(out.records[7]).toEqual([7, 'k7', 'v7', [['h', 'x']]]);
  });
});
