// @tributary/broker: a durable, Kafka-compatible log broker. See README.md.
export { Broker, type BrokerOptions } from './broker';
export { BrokerConfig, BROKER_CONFIG_DEFS, parseListener } from './config/broker-config';
export { NO_RESPONSE, defineHandler, type Handler, type RequestContext } from './handlers/handler';
export { HANDLERS } from './handlers/index';
export type { Interceptor } from './dispatch';
