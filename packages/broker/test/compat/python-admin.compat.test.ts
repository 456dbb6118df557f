// confluent-kafka-python's AdminClient (librdkafka) and kafka-python's KafkaAdminClient against the broker.
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { PYTHON, python, requireProgram } from './programs';

jest.setTimeout(180_000);

const CONFLUENT_ADMIN = `
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
from confluent_kafka import KafkaException
a = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}
fs = a.create_topics([NewTopic('adm-a', 2, 1, config={'retention.ms': '3600000', 'cleanup.policy': 'compact'}), NewTopic('adm-b', 1, 1)])
out['create'] = {t: (f.result() is None) for t, f in fs.items()}
try:
    a.create_topics([NewTopic('adm-a', 2, 1)])['adm-a'].result()
    out['duplicate'] = 'no error'
except KafkaException as e:
    out['duplicate'] = e.args[0].name()
try:
    a.create_topics([NewTopic('adm-rf', 1, 3)])['adm-rf'].result()
    out['rf3'] = 'no error'
except KafkaException as e:
    out['rf3'] = e.args[0].name()
res = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, 'adm-a')])
cfg = list(res.values())[0].result()
out['configs'] = {k: [v.value, v.source, v.is_default] for k, v in cfg.items() if k in ('retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes')}
out['config_count'] = len(cfg)
bres = a.describe_configs([ConfigResource(ConfigResource.Type.BROKER, '1')])
bcfg = list(bres.values())[0].result()
out['broker_has_num_partitions'] = 'num.partitions' in bcfg
a.create_partitions([NewPartitions('adm-b', 4)])['adm-b'].result()
md = a.list_topics(timeout=10)
out['partitions'] = {t: len(md.topics[t].partitions) for t in ('adm-a', 'adm-b')}
for t, f in a.delete_topics(['adm-a']).items(): f.result()
out['after_delete'] = sorted(t for t in a.list_topics(timeout=10).topics if t.startswith('adm-'))
print(json.dumps(out))
`;

const KAFKA_PYTHON_ADMIN = `
import sys, json
from kafka.admin import KafkaAdminClient, NewTopic
a = KafkaAdminClient(bootstrap_servers=sys.argv[1])
a.create_topics([NewTopic('kpa', num_partitions=3, replication_factor=1)])
out = {'topics': sorted(t for t in a.list_topics() if t == 'kpa')}
out['described'] = [(t['topic'], len(t['partitions'])) for t in a.describe_topics(['kpa'])]
a.delete_topics(['kpa'])
out['after'] = 'kpa' in a.list_topics()
print(json.dumps(out))
`;

describe('Python admin clients', () => {
  let kafka: TestBroker;
  beforeAll(async () => {
    requireProgram(PYTHON);
    kafka = await createTestBroker();
  });
  afterAll(async () => kafka?.close());

  it('confluent-kafka-python AdminClient creates, describes configs, adds partitions and deletes topics', async () => {
    const out = JSON.parse(await python(CONFLUENT_ADMIN, [kafka.bootstrap]));
    expect(out.create).toEqual({ 'adm-a': true, 'adm-b': true });
    expect(out.duplicate).toBe('TOPIC_ALREADY_EXISTS');
    expect(out.rf3).toBe('INVALID_REPLICATION_FACTOR');
    // librdkafka's ConfigSource: 1 = DYNAMIC_TOPIC_CONFIG, 5 = DEFAULT_CONFIG
    expect(out.configs['retention.ms']).toEqual(['3600000', 1, false]);
    expect(out.configs['cleanup.policy']).toEqual(['compact', 1, false]);
    expect(out.configs['segment.bytes']).toEqual(['1073741824', 5, true]);
    expect(out.config_count).toBeGreaterThan(20);
    expect(out.broker_has_num_partitions).toBe(true);
    expect(out.partitions).toEqual({ 'adm-a': 2, 'adm-b': 4 });
    expect(out.after_delete).toEqual(['adm-b']);
  });

  it('kafka-python KafkaAdminClient creates, describes and deletes a topic', async () => {
    const out = JSON.parse(await python(KAFKA_PYTHON_ADMIN, [kafka.bootstrap]));
    expect(out).toEqual({ topics: ['kpa'], described: [['kpa', 3]], after: false });
  });
});
