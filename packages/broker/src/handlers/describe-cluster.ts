// DescribeCluster (key 60), v0-v1: this broker as the only broker and as the controller id clients see, the
// cluster id, and the cluster's authorised operations when asked (everything: no ACLs). Only the broker endpoint
// type (1) is served: as in Kafka, an unknown type is UNSUPPORTED_ENDPOINT_TYPE and the controller type (2)
// MISMATCHED_ENDPOINT_TYPE (both INVALID_REQUEST at v0).
import { ApiKey, ErrorCode, type DescribeClusterRequest, type DescribeClusterResponse } from '@tributary/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from '../domain/topics';
import { defineHandler } from './handler';

const ENDPOINT_TYPES = ['UNKNOWN', 'BROKER', 'CONTROLLER'];
const BROKER_ENDPOINT = 1;

export const describeCluster = defineHandler<DescribeClusterRequest, DescribeClusterResponse>(ApiKey.DescribeCluster, { min: 0, max: 1 }, (req, ctx) => {
  const { broker, apiVersion } = ctx;
  const base = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: BROKER_ENDPOINT,
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    brokers: [] as DescribeClusterResponse['brokers'],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
  const requested = req.endpointType;
  if (requested !== BROKER_ENDPOINT) {
    const unknown = ENDPOINT_TYPES[requested] === undefined || requested === 0;
    const errorCode = apiVersion === 0 ? ErrorCode.INVALID_REQUEST : unknown ? ErrorCode.UNSUPPORTED_ENDPOINT_TYPE : ErrorCode.MISMATCHED_ENDPOINT_TYPE;
    const errorMessage = unknown
      ? `Unsupported endpoint type ${requested}`
      : `The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type ${ENDPOINT_TYPES[requested]}`;
    return { ...base, errorCode, errorMessage, clusterId: '', controllerId: -1 };
  }
  const { host, port } = broker.advertised;
  return {
    ...base,
    brokers: [{ brokerId: broker.nodeId, host, port, rack: null }],
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  };
});
