// @tributary/protocol: the Kafka wire protocol shared by the broker, the services, the tools and the tests.
export * from './primitives/protocol-error';
export * from './primitives/reader';
export * from './primitives/writer';
export * from './records/crc32c';
export * from './records/batch-header';
export * from './errors';
