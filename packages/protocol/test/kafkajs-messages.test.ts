// Cross-check of the generated message codecs against kafkajs 2.2.4, a Kafka client we did not write.
// Requests: kafkajs builds the whole frame (its src/protocol/request.js: size, header v1, body); we read the header
// and body with our codecs, using every byte, see the values kafkajs was given, and encode them back to the same
// frame. Responses: we encode a frame with encodeResponse; kafkajs's own decoder for that version reads the payload
// after the correlation id (as its connection does), uses every byte, and returns the values we wrote.
import {
  API_DEFINITIONS,
  ApiKey,
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  decodeMessage,
  decodeRecordBatches,
  decodeRequestHeader,
  encodeRecordBatch,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  Reader,
} from '@tributary/protocol';
import { loadDefinitions, SampleBuilder } from './support/message-samples';

/* eslint-disable @typescript-eslint/no-require-imports */
const kafkajsRequest = require('kafkajs/src/protocol/request');
const Decoder = require('kafkajs/src/protocol/decoder');
const Long = require('kafkajs/src/utils/long');
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol');
const requestOf = (dir: string, v: number) => require(`kafkajs/src/protocol/requests/${dir}/v${v}/request`);
const responseOf = (dir: string, v: number) => require(`kafkajs/src/protocol/requests/${dir}/v${v}/response`);
/* eslint-enable @typescript-eslint/no-require-imports */

// Remember the kafkajs Decoder that read each buffer, to check its decoders consumed every byte we wrote.
const decoderOf = new WeakMap<Buffer, { offset: number }>();
for (const name of Object.getOwnPropertyNames(Decoder.prototype)) {
  const original = Decoder.prototype[name];
  if (name === 'constructor' || typeof original !== 'function') continue;
  Decoder.prototype[name] = function (this: { buffer: Buffer; offset: number }, ...args: unknown[]) {
    decoderOf.set(this.buffer, this);
    return original.apply(this, args);
  };
}

const definitions = new Map(loadDefinitions().map((d) => [d.name, d]));
/** A response value: `partial` with every omitted field at its default. */
const complete = (codecName: string, partial: object) => new SampleBuilder(definitions.get(codecName)!).complete(partial as Record<string, unknown>);

const CLIENT_ID = 'kafkajs-client';
const CORRELATION_ID = 77;
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

// ---------------------------------------------------------------- requests

interface RequestCase {
  dir: string;
  api: keyof typeof ApiKey;
  versions: number[];
  args: unknown;
  /** What our decoder must see (a subset of the body). */
  expected: (v: number) => object;
  check?: (body: any, v: number) => void;
}

const metadataTopics = ['topic-a', 'topic-b'];
const produceArgs = {
  acks: -1,
  timeout: 30000,
  transactionalId: 'tx-1',
  producerId: Long.fromNumber(1234),
  producerEpoch: 5,
  topicData: [
    {
      topic: 'topic-a',
      partitions: [
        { partition: 0, messages: [{ key: 'k1', value: 'v1', timestamp: 1700000000000, headers: { h: 'x' } }] },
        { partition: 3, messages: [{ key: null, value: 'v2', timestamp: 1700000000001 }] },
      ],
    },
  ],
};
const fetchArgs = {
  replicaId: -1,
  maxWaitTime: 500,
  minBytes: 1,
  maxBytes: 1048576,
  isolationLevel: 1,
  sessionId: 0,
  sessionEpoch: -1,
  rackId: 'rack-1',
  topics: [{ topic: 'topic-a', partitions: [{ partition: 2, fetchOffset: '9007199254740993', logStartOffset: '7', maxBytes: 65536, currentLeaderEpoch: 3 }] }],
  forgottenTopics: [{ topic: 'old', partitions: [1, 2] }],
};

const REQUESTS: RequestCase[] = [
  { dir: 'apiVersions', api: 'ApiVersions', versions: [0, 1, 2], args: undefined, expected: () => ({}) },
  {
    dir: 'metadata',
    api: 'Metadata',
    versions: range(0, 6),
    args: { topics: metadataTopics, allowAutoTopicCreation: false },
    expected: (v) => ({ topics: metadataTopics.map((name) => ({ name })), allowAutoTopicCreation: v < 4 }),
  },
  {
    dir: 'produce',
    api: 'Produce',
    versions: range(0, 7),
    args: produceArgs,
    expected: (v) => ({
      acks: -1,
      timeoutMs: 30000,
      transactionalId: v >= 3 ? 'tx-1' : null,
      topicData: [{ name: 'topic-a', partitionData: [{ index: 0 }, { index: 3 }] }],
    }),
    check: (body, v) => {
      if (v < 3) return; // MessageSet v0/v1: records are opaque bytes here
      const batch = decodeRecordBatches(body.topicData[0].partitionData[0].records).batches[0];
      expect(batch.records[0]).toMatchObject({ key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1700000000000n });
      expect(batch.producerId).toBe(1234n);
    },
  },
  {
    dir: 'fetch',
    api: 'Fetch',
    versions: range(0, 11),
    args: fetchArgs,
    expected: (v) => ({
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: v >= 3 ? 1048576 : 0x7fffffff,
      isolationLevel: v >= 4 ? 1 : 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'topic-a',
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: v >= 9 ? 3 : -1,
              fetchOffset: 9007199254740993n,
              logStartOffset: v >= 5 ? 7n : -1n,
              partitionMaxBytes: 65536,
            },
          ],
        },
      ],
      forgottenTopicsData: v >= 7 ? [{ topic: 'old', partitions: [1, 2] }] : [],
      rackId: v >= 11 ? 'rack-1' : '',
    }),
  },
  {
    dir: 'listOffsets',
    api: 'ListOffsets',
    versions: range(0, 3),
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'topic-a', partitions: [{ partition: 4, timestamp: -2 }] }] },
    expected: (v) => ({
      replicaId: -1,
      isolationLevel: v >= 2 ? 1 : 0,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 4, timestamp: -2n, maxNumOffsets: 1 }] }],
    }),
  },
  {
    dir: 'joinGroup',
    api: 'JoinGroup',
    versions: range(0, 5),
    args: {
      groupId: 'group-1',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    },
    expected: (v) => ({
      groupId: 'group-1',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: v >= 1 ? 60000 : -1,
      memberId: '',
      groupInstanceId: v >= 5 ? 'instance-1' : null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    }),
  },
  {
    dir: 'syncGroup',
    api: 'SyncGroup',
    versions: range(0, 3),
    args: { groupId: 'group-1', generationId: 3, memberId: 'm-1', groupInstanceId: 'i-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from([9, 8]) }] },
    expected: (v) => ({
      groupId: 'group-1',
      generationId: 3,
      memberId: 'm-1',
      groupInstanceId: v >= 3 ? 'i-1' : null,
      assignments: [{ memberId: 'm-1', assignment: Buffer.from([9, 8]) }],
    }),
  },
  {
    dir: 'offsetCommit',
    api: 'OffsetCommit',
    versions: range(0, 5),
    args: {
      groupId: 'group-1',
      groupGenerationId: 4,
      memberId: 'm-1',
      retentionTime: 86400000,
      topics: [{ topic: 'topic-a', partitions: [{ partition: 0, offset: '42', timestamp: 1700000000000, metadata: 'meta' }] }],
    },
    expected: (v) => ({
      groupId: 'group-1',
      generationIdOrMemberEpoch: v >= 1 ? 4 : -1,
      memberId: v >= 1 ? 'm-1' : '',
      retentionTimeMs: v >= 2 && v <= 4 ? 86400000n : -1n,
      topics: [
        {
          name: 'topic-a',
          partitions: [{ partitionIndex: 0, committedOffset: 42n, commitTimestamp: v === 1 ? 1700000000000n : -1n, committedMetadata: 'meta' }],
        },
      ],
    }),
  },
  {
    dir: 'offsetFetch',
    api: 'OffsetFetch',
    versions: range(1, 4),
    args: { groupId: 'group-1', topics: [{ topic: 'topic-a', partitions: [{ partition: 0 }, { partition: 1 }] }] },
    expected: () => ({ groupId: 'group-1', topics: [{ name: 'topic-a', partitionIndexes: [0, 1] }] }),
  },
  { dir: 'findCoordinator', api: 'FindCoordinator', versions: [0], args: { groupId: 'group-1' }, expected: () => ({ key: 'group-1', keyType: 0 }) },
  {
    dir: 'findCoordinator',
    api: 'FindCoordinator',
    versions: [1, 2],
    args: { coordinatorKey: 'tx-1', coordinatorType: 1 },
    expected: () => ({ key: 'tx-1', keyType: 1 }),
  },
  {
    dir: 'createTopics',
    api: 'CreateTopics',
    versions: range(0, 3),
    args: {
      topics: [
        { topic: 'new-topic', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
      ],
      timeout: 5000,
      validateOnly: true,
    },
    expected: (v) => ({
      topics: [
        { name: 'new-topic', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
        { name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    }),
  },
  {
    dir: 'heartbeat',
    api: 'Heartbeat',
    versions: range(0, 3),
    args: { groupId: 'group-1', groupGenerationId: 5, memberId: 'm-1', groupInstanceId: 'i-1' },
    expected: (v) => ({ groupId: 'group-1', generationId: 5, memberId: 'm-1', groupInstanceId: v >= 3 ? 'i-1' : null }),
  },
  { dir: 'leaveGroup', api: 'LeaveGroup', versions: range(0, 2), args: { groupId: 'group-1', memberId: 'm-1' }, expected: () => ({ groupId: 'group-1', memberId: 'm-1' }) },
  {
    dir: 'leaveGroup',
    api: 'LeaveGroup',
    versions: [3],
    args: { groupId: 'group-1', members: [{ memberId: 'm-1', groupInstanceId: 'i-1' }, { memberId: 'm-2' }] },
    expected: () => ({ groupId: 'group-1', memberId: '', members: [{ memberId: 'm-1', groupInstanceId: 'i-1' }, { memberId: 'm-2', groupInstanceId: null }] }),
  },
  { dir: 'describeGroups', api: 'DescribeGroups', versions: range(0, 2), args: { groupIds: ['g1', 'g2'] }, expected: () => ({ groups: ['g1', 'g2'] }) },
  { dir: 'listGroups', api: 'ListGroups', versions: range(0, 2), args: undefined, expected: () => ({ statesFilter: [] }) },
  { dir: 'deleteTopics', api: 'DeleteTopics', versions: [0, 1], args: { topics: ['a', 'b'], timeout: 1000 }, expected: () => ({ topicNames: ['a', 'b'], timeoutMs: 1000 }) },
  { dir: 'deleteGroups', api: 'DeleteGroups', versions: [0, 1], args: ['g1', 'g2'], expected: () => ({ groupsNames: ['g1', 'g2'] }) },
  {
    dir: 'initProducerId',
    api: 'InitProducerId',
    versions: [0, 1],
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    expected: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
  },
  { dir: 'saslHandshake', api: 'SaslHandshake', versions: [0, 1], args: { mechanism: 'SCRAM-SHA-256' }, expected: () => ({ mechanism: 'SCRAM-SHA-256' }) },
  {
    dir: 'saslAuthenticate',
    api: 'SaslAuthenticate',
    versions: [0, 1],
    // kafkajs's SASL mechanisms hand over authBytes already length-prefixed (they are the bytes field itself).
    args: { authBytes: Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('\0user\0secret')]) },
    expected: () => ({ authBytes: Buffer.from('\0user\0secret') }),
  },
  {
    dir: 'endTxn',
    api: 'EndTxn',
    versions: [0, 1],
    args: { transactionalId: 'tx-1', producerId: '9007199254740993', producerEpoch: 2, transactionResult: true },
    expected: () => ({ transactionalId: 'tx-1', producerId: 9007199254740993n, producerEpoch: 2, committed: true }),
  },
  {
    dir: 'addPartitionsToTxn',
    api: 'AddPartitionsToTxn',
    versions: [0, 1],
    args: { transactionalId: 'tx-1', producerId: '12', producerEpoch: 2, topics: [{ topic: 'topic-a', partitions: [0, 5] }] },
    expected: () => ({
      v3AndBelowTransactionalId: 'tx-1',
      v3AndBelowProducerId: 12n,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [{ name: 'topic-a', partitions: [0, 5] }],
    }),
  },
  {
    dir: 'txnOffsetCommit',
    api: 'TxnOffsetCommit',
    versions: [0, 1],
    args: {
      transactionalId: 'tx-1',
      groupId: 'group-1',
      producerId: '12',
      producerEpoch: 2,
      topics: [{ topic: 'topic-a', partitions: [{ partition: 1, offset: '100', metadata: null }] }],
    },
    expected: () => ({
      transactionalId: 'tx-1',
      groupId: 'group-1',
      producerId: 12n,
      producerEpoch: 2,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 1, committedOffset: 100n, committedMetadata: null }] }],
    }),
  },
  {
    dir: 'describeConfigs',
    api: 'DescribeConfigs',
    versions: range(0, 2),
    // kafkajs writes an empty configNames list as null (all configs).
    args: { resources: [{ type: 2, name: 'topic-a', configNames: ['retention.ms'] }, { type: 4, name: '1', configNames: [] }], includeSynonyms: true },
    expected: (v) => ({
      resources: [
        { resourceType: 2, resourceName: 'topic-a', configurationKeys: ['retention.ms'] },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
      ],
      includeSynonyms: v >= 1,
    }),
  },
  {
    dir: 'createPartitions',
    api: 'CreatePartitions',
    versions: [0, 1],
    args: { topicPartitions: [{ topic: 'topic-a', count: 6, assignments: [[1], [2]] }], validateOnly: true, timeout: 1500 },
    expected: () => ({
      topics: [{ name: 'topic-a', count: 6, assignments: [{ brokerIds: [1] }, { brokerIds: [2] }] }],
      timeoutMs: 1500,
      validateOnly: true,
    }),
  },
  {
    dir: 'alterPartitionReassignments',
    api: 'AlterPartitionReassignments',
    versions: [0],
    args: { topics: [{ topic: 'topic-a', partitionAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], timeout: 3000 },
    expected: () => ({ timeoutMs: 3000, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }] }),
  },
  {
    dir: 'listPartitionReassignments',
    api: 'ListPartitionReassignments',
    versions: [0],
    args: { topics: [{ topic: 'topic-a', partitions: [0, 1] }], timeout: 3000 },
    expected: () => ({ timeoutMs: 3000, topics: [{ name: 'topic-a', partitionIndexes: [0, 1] }] }),
  },
  { dir: 'listPartitionReassignments', api: 'ListPartitionReassignments', versions: [0], args: { topics: null }, expected: () => ({ timeoutMs: 5000, topics: null }) },
];

describe('kafkajs request frames decode with our codecs', () => {
  const cases = REQUESTS.flatMap((c) => c.versions.map((v) => [`${c.api} v${v}`, c, v] as const));
  it.each(cases)('%s', async (_name, c, v) => {
    const apiKey = ApiKey[c.api];
    const request = Array.isArray(c.args) ? requestOf(c.dir, v)(c.args) : requestOf(c.dir, v)(c.args);
    const frame: Buffer = (await kafkajsRequest({ correlationId: CORRELATION_ID, clientId: CLIENT_ID, request })).buffer;
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);

    const r = new Reader(frame, 4);
    const header = decodeRequestHeader(r);
    expect(header).toMatchObject({ apiKey, apiVersion: v, correlationId: CORRELATION_ID, clientId: CLIENT_ID });
    const body = API_DEFINITIONS.get(apiKey)!.request.decode(r, v);
    expect(r.remaining).toBe(0);
    expect(body).toMatchObject(c.expected(v));
    c.check?.(body, v);

    expect(encodeRequest(apiKey, v, CORRELATION_ID, CLIENT_ID, body)).toEqual(frame);
  });
});

// ---------------------------------------------------------------- responses

interface ResponseCase {
  dir: string;
  api: keyof typeof ApiKey;
  versions: number[];
  /** Our response value (omitted fields take their defaults). */
  ours: (v: number) => object;
  /** What kafkajs's decoder for that version returns. */
  kafkajs: (v: number) => object;
  /** kafkajs's flexible decoders stop before the body's own (empty) tagged-fields section. */
  skipsTopLevelTags?: boolean;
}

/** kafkajs reports throttle times of v1-style responses as `throttleTime`, of newer ones as `clientSideThrottleTime`. */
const throttle = (ms: number, clientSideFrom: number, v: number) => (v >= clientSideFrom ? { throttleTime: 0, clientSideThrottleTime: ms } : { throttleTime: ms });

const records = encodeRecordBatch({
  baseOffset: 100n,
  records: [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1700000000000n },
    { key: null, value: Buffer.from('v2'), timestamp: 1700000000005n, headers: [{ key: 'h', value: Buffer.from('x') }] },
  ],
});

const RESPONSES: ResponseCase[] = [
  {
    dir: 'apiVersions',
    api: 'ApiVersions',
    versions: range(0, 2),
    ours: () => ({ errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 5 }),
    kafkajs: (v) => ({
      errorCode: 0,
      apiVersions: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
      ...(v === 0 ? {} : throttle(5, 2, v)),
    }),
  },
  {
    dir: 'metadata',
    api: 'Metadata',
    versions: range(0, 6),
    ours: () => ({
      throttleTimeMs: 3,
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: 'rack-a' }],
      clusterId: 'cluster-x',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'topic-a',
          isInternal: true,
          partitions: [{ errorCode: 9, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] }],
        },
      ],
    }),
    kafkajs: (v) => ({
      ...(v >= 3 ? throttle(3, 6, v) : {}),
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, ...(v >= 1 ? { rack: 'rack-a' } : {}) }],
      ...(v >= 2 ? { clusterId: 'cluster-x' } : {}),
      ...(v >= 1 ? { controllerId: 1 } : {}),
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: 'topic-a',
          ...(v >= 1 ? { isInternal: true } : {}),
          partitionMetadata: [{ partitionErrorCode: 9, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], ...(v >= 5 ? { offlineReplicas: [2] } : {}) }],
        },
      ],
    }),
  },
  {
    dir: 'produce',
    api: 'Produce',
    versions: range(3, 7),
    ours: () => ({
      responses: [{ name: 'topic-a', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 9007199254740993n, logAppendTimeMs: 1700000000000n, logStartOffset: 5n }] }],
      throttleTimeMs: 8,
    }),
    kafkajs: (v) => ({
      topics: [
        {
          topicName: 'topic-a',
          partitions: [{ partition: 0, errorCode: 0, baseOffset: '9007199254740993', logAppendTime: '1700000000000', ...(v >= 5 ? { logStartOffset: '5' } : {}) }],
        },
      ],
      ...throttle(8, 6, v),
    }),
  },
  {
    dir: 'fetch',
    api: 'Fetch',
    versions: [4, 5, 7, 11],
    ours: () => ({
      throttleTimeMs: 2,
      errorCode: 0,
      sessionId: 31,
      responses: [
        {
          topic: 'topic-a',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 102n,
              lastStableOffset: 101n,
              logStartOffset: 4n,
              abortedTransactions: [{ producerId: 77n, firstOffset: 100n }],
              preferredReadReplica: 3,
              records,
            },
            { partitionIndex: 3, highWatermark: 0n, lastStableOffset: 0n, abortedTransactions: null, records: null },
          ],
        },
      ],
    }),
    kafkajs: (v) => ({
      ...(v >= 11 ? { throttleTime: 0, clientSideThrottleTime: 2 } : { throttleTime: 2 }),
      ...(v >= 7 ? { errorCode: 0, sessionId: 31 } : {}),
      responses: [
        {
          topicName: 'topic-a',
          partitions: [
            {
              partition: 2,
              errorCode: 0,
              highWatermark: '102',
              lastStableOffset: '101',
              ...(v >= 5 ? { lastStartOffset: '4' } : {}),
              abortedTransactions: [{ producerId: '77', firstOffset: '100' }],
              ...(v >= 11 ? { preferredReadReplica: 3 } : {}),
              messages: [
                expect.objectContaining({ offset: '100', key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: '1700000000000' }),
                expect.objectContaining({ offset: '101', key: null, value: Buffer.from('v2'), headers: { h: Buffer.from('x') } }),
              ],
            },
            {
              partition: 3,
              errorCode: 0,
              highWatermark: '0',
              lastStableOffset: '0',
              ...(v >= 5 ? { lastStartOffset: '-1' } : {}),
              abortedTransactions: [],
              ...(v >= 11 ? { preferredReadReplica: -1 } : {}),
              messages: [],
            },
          ],
        },
      ],
    }),
  },
  {
    dir: 'listOffsets',
    api: 'ListOffsets',
    versions: range(0, 3),
    ours: () => ({
      throttleTimeMs: 4,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 1, errorCode: 0, oldStyleOffsets: [50n, 0n], timestamp: 1700000000000n, offset: 50n }] }],
    }),
    kafkajs: (v) => ({
      ...(v >= 2 ? throttle(4, 3, v) : {}),
      responses: [
        {
          topic: 'topic-a',
          partitions: [v === 0 ? { partition: 1, errorCode: 0, offsets: ['50', '0'] } : { partition: 1, errorCode: 0, timestamp: '1700000000000', offset: '50' }],
        },
      ],
    }),
  },
  {
    dir: 'findCoordinator',
    api: 'FindCoordinator',
    versions: range(0, 2),
    ours: () => ({ throttleTimeMs: 1, errorCode: 0, errorMessage: 'fine', nodeId: 2, host: 'broker-2', port: 9093 }),
    kafkajs: (v) => ({
      ...(v >= 1 ? { ...throttle(1, 2, v), errorMessage: 'fine' } : {}),
      errorCode: 0,
      coordinator: { nodeId: 2, host: 'broker-2', port: 9093 },
    }),
  },
  {
    dir: 'joinGroup',
    api: 'JoinGroup',
    versions: [0, 1, 2, 3, 4, 5],
    ours: () => ({
      throttleTimeMs: 6,
      errorCode: 0,
      generationId: 7,
      protocolName: 'RoundRobinAssigner',
      leader: 'm-1',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: 'i-1', metadata: Buffer.from([1, 2, 3]) }],
    }),
    kafkajs: (v) => ({
      ...(v >= 2 ? throttle(6, 3, v) : {}),
      errorCode: 0,
      generationId: 7,
      groupProtocol: 'RoundRobinAssigner',
      leaderId: 'm-1',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', ...(v >= 5 ? { groupInstanceId: 'i-1' } : {}), memberMetadata: Buffer.from([1, 2, 3]) }],
    }),
  },
  {
    dir: 'syncGroup',
    api: 'SyncGroup',
    versions: range(0, 3),
    ours: () => ({ throttleTimeMs: 9, errorCode: 0, assignment: Buffer.from([0, 1, 0, 0]) }),
    kafkajs: (v) => ({ ...(v >= 1 ? throttle(9, 2, v) : {}), errorCode: 0, memberAssignment: Buffer.from([0, 1, 0, 0]) }),
  },
  {
    dir: 'offsetCommit',
    api: 'OffsetCommit',
    versions: range(0, 5),
    ours: () => ({ throttleTimeMs: 2, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }] }] }),
    kafkajs: (v) => ({
      ...(v >= 3 ? (v >= 4 ? throttle(2, 4, v) : { throttleTime: 2 }) : {}),
      responses: [{ topic: 'topic-a', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 0 }] }],
    }),
  },
  {
    dir: 'offsetFetch',
    api: 'OffsetFetch',
    versions: range(1, 4),
    ours: () => ({
      throttleTimeMs: 3,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 42n, metadata: 'meta', errorCode: 0 }] }],
      errorCode: 0,
    }),
    kafkajs: (v) => ({
      ...(v >= 3 ? throttle(3, 4, v) : {}),
      responses: [{ topic: 'topic-a', partitions: [{ partition: 0, offset: '42', metadata: 'meta', errorCode: 0 }] }],
      ...(v >= 2 ? { errorCode: 0 } : {}),
    }),
  },
  {
    dir: 'createTopics',
    api: 'CreateTopics',
    versions: range(0, 3),
    ours: () => ({
      throttleTimeMs: 11,
      topics: [
        { name: 'b-topic', errorCode: 0, errorMessage: null },
        { name: 'a-topic', errorCode: 36, errorMessage: 'exists' },
      ],
    }),
    kafkajs: (v) => ({
      ...(v >= 2 ? throttle(11, 3, v) : {}),
      topicErrors: [
        { topic: 'a-topic', errorCode: 36, ...(v >= 1 ? { errorMessage: 'exists' } : {}) },
        { topic: 'b-topic', errorCode: 0, ...(v >= 1 ? { errorMessage: null } : {}) },
      ],
    }),
  },
  {
    dir: 'heartbeat',
    api: 'Heartbeat',
    versions: [0, 1, 2],
    ours: () => ({ throttleTimeMs: 4, errorCode: 27 }),
    kafkajs: (v) => ({ ...(v >= 1 ? throttle(4, 2, v) : {}), errorCode: 27 }),
  },
  {
    dir: 'leaveGroup',
    api: 'LeaveGroup',
    versions: [3],
    ours: () => ({ throttleTimeMs: 4, errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: 'i-1', errorCode: 0 }] }),
    kafkajs: () => ({ throttleTime: 0, clientSideThrottleTime: 4, errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: 'i-1', errorCode: 0 }] }),
  },
  {
    dir: 'describeGroups',
    api: 'DescribeGroups',
    versions: range(0, 2),
    ours: () => ({
      throttleTimeMs: 1,
      groups: [
        {
          errorCode: 0,
          groupId: 'group-1',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [{ memberId: 'm-1', clientId: 'c-1', clientHost: '/10.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) }],
        },
      ],
    }),
    kafkajs: (v) => ({
      ...(v >= 1 ? throttle(1, 2, v) : {}),
      groups: [
        {
          errorCode: 0,
          groupId: 'group-1',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [{ memberId: 'm-1', clientId: 'c-1', clientHost: '/10.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) }],
        },
      ],
    }),
  },
  {
    dir: 'listGroups',
    api: 'ListGroups',
    versions: range(0, 2),
    ours: () => ({ throttleTimeMs: 1, errorCode: 0, groups: [{ groupId: 'group-1', protocolType: 'consumer' }] }),
    kafkajs: (v) => ({ ...(v >= 1 ? throttle(1, 2, v) : {}), errorCode: 0, groups: [{ groupId: 'group-1', protocolType: 'consumer' }] }),
  },
  {
    dir: 'deleteTopics',
    api: 'DeleteTopics',
    versions: [0, 1],
    ours: () => ({ throttleTimeMs: 2, responses: [{ name: 'b', errorCode: 3 }, { name: 'a', errorCode: 0 }] }),
    kafkajs: (v) => ({
      ...(v >= 1 ? { throttleTime: 0, clientSideThrottleTime: 2 } : {}),
      topicErrors: [
        { topic: 'a', errorCode: 0 },
        { topic: 'b', errorCode: 3 },
      ],
    }),
  },
  {
    dir: 'initProducerId',
    api: 'InitProducerId',
    versions: [0, 1],
    ours: () => ({ throttleTimeMs: 5, errorCode: 0, producerId: 9007199254740993n, producerEpoch: 3 }),
    kafkajs: (v) => ({ ...throttle(5, 1, v), errorCode: 0, producerId: '9007199254740993', producerEpoch: 3 }),
  },
  {
    dir: 'saslHandshake',
    api: 'SaslHandshake',
    versions: [0, 1],
    ours: () => ({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }),
    kafkajs: () => ({ errorCode: 0, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-256'] }),
  },
  {
    dir: 'alterPartitionReassignments',
    api: 'AlterPartitionReassignments',
    versions: [0],
    ours: () => ({
      throttleTimeMs: 6,
      errorCode: 0,
      errorMessage: null,
      responses: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }],
    }),
    kafkajs: () => ({ throttleTime: 6, errorCode: 0, responses: [{ topic: 'topic-a', partitions: [{ partition: 0, errorCode: 0 }] }] }),
    skipsTopLevelTags: true,
  },
  {
    dir: 'listPartitionReassignments',
    api: 'ListPartitionReassignments',
    versions: [0],
    ours: () => ({
      throttleTimeMs: 6,
      errorCode: 0,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 1, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [] }] }],
    }),
    kafkajs: () => ({
      throttleTime: 6,
      errorCode: 0,
      topics: [{ name: 'topic-a', partitions: [{ partition: 1, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [] }] }],
    }),
    skipsTopLevelTags: true,
  },
];

describe('responses we encode decode with kafkajs', () => {
  const cases = RESPONSES.flatMap((c) => c.versions.map((v) => [`${c.api} v${v}`, c, v] as const));
  it.each(cases)('%s', async (_name, c, v) => {
    const apiKey = ApiKey[c.api];
    const codec = API_DEFINITIONS.get(apiKey)!.response;
    const frame = encodeResponse(apiKey, v, CORRELATION_ID, complete(codec.name, c.ours(v)) as never);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(CORRELATION_ID);
    // As kafkajs's connection does: the payload after the correlation id goes to the response decoder (which reads
    // the response header's tagged fields itself for the flexible APIs).
    const payload = Buffer.from(frame.subarray(8));
    const decoded = await responseOf(c.dir, v).decode(payload);
    if (c.skipsTopLevelTags) {
      expect(decoderOf.get(payload)?.offset).toBe(payload.length - 1);
      expect(payload[payload.length - 1]).toBe(0); // no tagged fields
    } else expect(decoderOf.get(payload)?.offset).toBe(payload.length);
    expect(decoded).toEqual(c.kafkajs(v));
  });
});

// ---------------------------------------------------------------- consumer protocol data (JoinGroup/SyncGroup bytes)

describe('consumer group protocol data matches kafkajs', () => {
  // Both are an int16 version followed by the versioned body.
  it('reads kafkajs member metadata as ConsumerProtocolSubscription v0', () => {
    const bytes: Buffer = MemberMetadata.encode({ version: 0, topics: ['topic-a', 'topic-b'], userData: Buffer.from([5]) });
    expect(bytes.readInt16BE(0)).toBe(0);
    const subscription = decodeMessage(ConsumerProtocolSubscription, bytes.subarray(2), 0);
    expect(subscription).toEqual(ConsumerProtocolSubscription.create({ topics: ['topic-a', 'topic-b'], userData: Buffer.from([5]) }));
  });

  it('writes ConsumerProtocolAssignment v0 that kafkajs reads as a member assignment', () => {
    const assignment = ConsumerProtocolAssignment.create({
      assignedPartitions: [
        { topic: 'topic-a', partitions: [0, 2, 4] },
        { topic: 'topic-b', partitions: [1] },
      ],
      userData: Buffer.from([7, 7]),
    });
    const bytes = Buffer.concat([Buffer.from([0, 0]), encodeMessage(ConsumerProtocolAssignment, assignment, 0)]);
    expect(MemberAssignment.decode(bytes)).toEqual({ version: 0, assignment: { 'topic-a': [0, 2, 4], 'topic-b': [1] }, userData: Buffer.from([7, 7]) });
  });
});
