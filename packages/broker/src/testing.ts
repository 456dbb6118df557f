// @tributary/broker/testing: an in-process broker for tests of every package. It listens on 127.0.0.1 on a
// free port with its data in a fresh temporary directory (removed on close unless `keepData`), logs only
// warnings, and exposes per-API interception for fault injection:
//
//   const kafka = await createTestBroker();
//   new Kafka({ brokers: [kafka.bootstrap] });
//   kafka.broker.intercept(ApiKey.Produce, () => { throw new Error('drop the connection'); });
//   await kafka.close();
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Broker } from './broker';
import { BrokerConfig } from './config/broker-config';

export interface TestBrokerOptions {
  /** Extra broker properties (e.g. { 'num.partitions': '3' }). */
  config?: Record<string, string>;
  /** Reuse a data directory (e.g. to test a restart); a temporary one otherwise. */
  dataDir?: string;
  /** Keep the data directory on close. */
  keepData?: boolean;
  /** Fixed port; 0 (any free port) by default. */
  port?: number;
  logLevel?: string;
}

export interface TestBroker {
  broker: Broker;
  /** "127.0.0.1:<port>", for any client's bootstrap servers. */
  bootstrap: string;
  host: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

export async function createTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'tributary-broker-'));
  const port = opts.port ?? 0;
  const config = BrokerConfig.of({
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': dataDir,
    'group.initial.rebalance.delay.ms': '0',
    ...opts.config,
  });
  const logger = pino({ name: 'test-broker', level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'warn' });
  const broker = await Broker.start({ config, logger });
  return {
    broker,
    bootstrap: `127.0.0.1:${broker.port}`,
    host: '127.0.0.1',
    port: broker.port,
    dataDir,
    async close() {
      await broker.close();
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
