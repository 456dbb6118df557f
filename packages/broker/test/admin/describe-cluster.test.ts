import { ApiKey, ErrorCode, createDescribeClusterRequest } from '@tributary/protocol';
import { createTestBroker, type TestBroker } from '@tributary/broker/testing';
import { RawClient, kafkajs } from './admin-support';

describe('DescribeCluster', () => {
  let broker: TestBroker;
  let raw: RawClient;
  beforeAll(async () => {
    broker = await createTestBroker();
    raw = await RawClient.connect(broker.port);
  });
  afterAll(async () => {
    raw.close();
    await broker.close();
  });

  it('describes this broker as the whole cluster and its controller, agreeing with Metadata (kafkajs)', async () => {
    const { nodeId, clusterId } = broker.broker;
    const res = await raw.send(ApiKey.DescribeCluster, 1, createDescribeClusterRequest({ endpointType: 1 }));
    expect(res).toMatchObject({
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId,
      controllerId: nodeId,
      brokers: [{ brokerId: nodeId, host: '127.0.0.1', port: broker.port, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    });
    const admin = kafkajs(broker).admin();
    await admin.connect();
    try {
      expect(await admin.describeCluster()).toEqual({ clusterId, controller: nodeId, brokers: [{ nodeId, host: '127.0.0.1', port: broker.port }] });
    } finally {
      await admin.disconnect();
    }
  });

  it('reports the cluster authorized operations only when asked (v0)', async () => {
    const res = await raw.send(ApiKey.DescribeCluster, 0, createDescribeClusterRequest({ includeClusterAuthorizedOperations: true }));
    expect(res.errorCode).toBe(0);
    // DESCRIBE (8), ALTER (7), CREATE (5), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11), IDEMPOTENT_WRITE (12) ...
    for (const bit of [5, 7, 8, 10, 11, 12]) expect(res.clusterAuthorizedOperations & (1 << bit)).not.toBe(0);
  });

  it('serves only the broker endpoint type, with Kafka errors for the controller type and unknown types', async () => {
    const controller = await raw.send(ApiKey.DescribeCluster, 1, createDescribeClusterRequest({ endpointType: 2 }));
    expect(controller).toMatchObject({
      errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
      brokers: [],
    });
    const unknown = await raw.send(ApiKey.DescribeCluster, 1, createDescribeClusterRequest({ endpointType: 9 }));
    expect(unknown).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 9' });
  });
});
