// The whole platform in one process: `npm start`. Starts every service that exists with embedded defaults
// (data under ./data). Today that is the Kafka broker on 127.0.0.1:9092; the Schema Registry (8081), REST
// Proxy (8082) and Connect (8083) are wired in here as they land.
//
// Settings: KAFKA_* environment variables configure the broker (Confluent image convention), and
// `npm start -- --override key=value` passes broker overrides.
import { Broker, BrokerConfig } from '@tributary/broker';

async function main(): Promise<void> {
  const dataDir = process.env.TRIBUTARY_DATA_DIR ?? './data';
  const config = BrokerConfig.load({
    argv: process.argv.slice(2),
    env: process.env,
    defaults: { 'log.dirs': `${dataDir}/broker` },
  });
  const broker = await Broker.start({ config });
  const { host, port } = config.advertised;
  broker.logger.info(`platform ready: Kafka broker on ${host}:${port} (data in ${config.logDir})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.logger.info({ signal }, 'platform shutting down');
    await broker.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
