// The broker alone. Configuration: an optional server.properties path, KAFKA_* environment variables
// (Confluent image convention) and --override key=value flags, in increasing precedence.
//   node apps/broker/dist/main.js [server.properties] [--override listeners=PLAINTEXT://127.0.0.1:9092]
import { Broker, BrokerConfig } from '@tributary/broker';

async function main(): Promise<void> {
  const config = BrokerConfig.load({ argv: process.argv.slice(2), env: process.env });
  const broker = await Broker.start({ config });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.logger.info({ signal }, 'shutting down');
    broker.close().then(
      () => process.exit(0),
      (err) => {
        broker.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
