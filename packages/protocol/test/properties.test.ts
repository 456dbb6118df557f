import { envNameToProperty, parseArgs, parseProperties, propertiesFromEnv } from '@tributary/protocol';

describe('Kafka-style configuration sources', () => {
  it('parses .properties files with comments, separators, escapes and continuations', () => {
    const p = parseProperties(
      ['# comment', '! also a comment', 'broker.id=1', 'log.dirs : /tmp/a', 'listeners PLAINTEXT://:9092', 'a.b=x\\', '   y', 'empty=', 'u=\\u0041\\tb', ''].join('\n'),
    );
    expect(p).toEqual({ 'broker.id': '1', 'log.dirs': '/tmp/a', listeners: 'PLAINTEXT://:9092', 'a.b': 'xy', empty: '', u: 'A\tb' });
  });

  it('maps environment variables the way Confluent images do', () => {
    expect(envNameToProperty('KAFKA_LOG_RETENTION_MS', 'KAFKA_')).toBe('log.retention.ms');
    expect(envNameToProperty('KAFKA_LISTENER_SECURITY__PROTOCOL___MAP', 'KAFKA_')).toBe('listener.security_protocol-map');
    expect(envNameToProperty('SCHEMA_REGISTRY_KAFKASTORE_TOPIC', 'SCHEMA_REGISTRY_')).toBe('kafkastore.topic');
    expect(propertiesFromEnv({ KAFKA_NUM_PARTITIONS: '3', KAFKA_HEAP_OPTS: '-Xmx1g', PATH: '/bin' }, 'KAFKA_', ['KAFKA_HEAP_OPTS'])).toEqual({
      'num.partitions': '3',
    });
  });

  it('reads a properties file argument and --override/--key flags', () => {
    expect(parseArgs(['server.properties', '--override', 'num.partitions=4', '--port', '9093', '--log.dirs=/d'])).toEqual({
      file: 'server.properties',
      overrides: { 'num.partitions': '4', port: '9093', 'log.dirs': '/d' },
    });
    expect(() => parseArgs(['--override', 'novalue'])).toThrow(/key=value/);
  });
});
