// The broker: configuration, storage (LogManager), the group coordinator, the handler registry, dispatch and the
// TCP listener, put together. Handlers reach the domain through this object (`ctx.broker`): `logs` for topics and
// partitions, `groups` for consumer groups and committed offsets, `nodeId`/`clusterId`/`advertised` for metadata.
// Start with `Broker.start({ config })`; `close()` stops accepting, closes connections, stops the coordinator,
// flushes and closes every log.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseProperties } from '@tributary/protocol';
import pino, { type Logger } from 'pino';
import { BrokerConfig } from './config/broker-config';
import { GroupCoordinator, groupCoordinatorConfig } from './coordinator/group-coordinator';
import { TransactionCoordinator, transactionCoordinatorConfig } from './coordinator/transactions/transaction-coordinator';
import { Dispatcher, type Interceptor } from './dispatch';
import type { Handler } from './handlers/handler';
import { HANDLERS } from './handlers/index';
import { HandlerRegistry } from './handlers/registry';
import { LogManager } from './log/log-manager';
import { Listener } from './network/listener';

export interface BrokerOptions {
  config: BrokerConfig;
  logger?: Logger;
  /** Replaces the default handler set (tests). */
  handlers?: readonly Handler[];
}

export class Broker {
  readonly registry: HandlerRegistry;
  readonly nodeId: number;
  private readonly dispatcher: Dispatcher;
  private readonly listener: Listener;
  private boundPort = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
    readonly logs: LogManager,
    readonly groups: GroupCoordinator,
    readonly transactions: TransactionCoordinator,
    readonly clusterId: string,
    handlers: readonly Handler[],
  ) {
    this.nodeId = config.nodeId;
    this.registry = new HandlerRegistry(handlers);
    this.dispatcher = new Dispatcher(this, this.registry, logger);
    this.listener = new Listener(this.dispatcher, {
      ...config.listener,
      maxRequestBytes: config.int('socket.request.max.bytes'),
      maxInFlight: config.int('queued.max.requests'),
      logger,
    });
  }

  static async start(opts: BrokerOptions): Promise<Broker> {
    const { config } = opts;
    const logger = opts.logger ?? pino({ name: 'broker', level: process.env.LOG_LEVEL ?? 'info' });
    const dataDir = path.resolve(config.logDir);
    mkdirSync(dataDir, { recursive: true });
    const clusterId = loadOrCreateClusterId(dataDir, config);
    const logs = await LogManager.open({ dataDir, brokerConfig: config.toRecord(), logger: logger.child({ layer: 'log' }) });
    let groups: GroupCoordinator;
    try {
      groups = await GroupCoordinator.open({ logs, config: groupCoordinatorConfig(config), logger: logger.child({ layer: 'groups' }) });
    } catch (err) {
      await logs.close();
      throw err;
    }
    logs.onTopicDeleted((topic) => void groups.onTopicsDeleted([topic]));
    let transactions: TransactionCoordinator;
    try {
      const txnLogger = logger.child({ layer: 'transactions' });
      transactions = await TransactionCoordinator.open({ logs, groups, config: transactionCoordinatorConfig(config), logger: txnLogger, dataDir });
    } catch (err) {
      await groups.close();
      await logs.close();
      throw err;
    }
    const broker = new Broker(config, logger, logs, groups, transactions, clusterId, opts.handlers ?? HANDLERS);
    try {
      broker.boundPort = await broker.listener.listen();
    } catch (err) {
      await transactions.close();
      await groups.close();
      await logs.close();
      throw err;
    }
    logger.info({ nodeId: broker.nodeId, clusterId, listener: `${config.listener.host}:${broker.boundPort}`, dataDir }, 'broker started');
    return broker;
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  get port(): number {
    return this.boundPort;
  }

  /** The address clients are told to connect to. */
  get advertised(): { host: string; port: number } {
    const adv = this.config.advertised;
    return { host: adv.host, port: adv.port === 0 ? this.boundPort : adv.port };
  }

  /** Intercepts one API (fault injection in tests); pass undefined to remove. */
  intercept(apiKey: number, interceptor: Interceptor | undefined): void {
    this.dispatcher.intercept(apiKey, interceptor);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener.close();
      await this.transactions.close();
      await this.groups.close();
      await this.logs.close();
      this.logger.info('broker stopped');
    })();
    return this.closing;
  }
}

/** Kafka keeps the cluster id in meta.properties in the log directory; so do we. */
function loadOrCreateClusterId(dataDir: string, config: BrokerConfig): string {
  const file = path.join(dataDir, 'meta.properties');
  let existing: Record<string, string> = {};
  try {
    existing = parseProperties(readFileSync(file, 'utf8'));
  } catch {
    /* first start */
  }
  const configured = config.explicit('cluster.id');
  if (existing['cluster.id']) {
    if (configured && configured !== existing['cluster.id']) {
      throw new Error(`cluster.id ${configured} does not match ${existing['cluster.id']} in ${file}`);
    }
    return existing['cluster.id'];
  }
  const clusterId = configured ?? Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  const text = `#Written by the broker on first start\nversion=1\ncluster.id=${clusterId}\nnode.id=${config.nodeId}\n`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return clusterId;
}
