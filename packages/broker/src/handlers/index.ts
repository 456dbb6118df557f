// Every handler this broker serves. The registry orders them by API key; ApiVersions is derived from them.
import type { Handler } from './handler';
import { alterConfigs } from './alter-configs';
import { apiVersions } from './api-versions';
import { createPartitions } from './create-partitions';
import { createTopics } from './create-topics';
import { deleteRecords } from './delete-records';
import { deleteTopics } from './delete-topics';
import { describeCluster } from './describe-cluster';
import { describeConfigs } from './describe-configs';
import { describeLogDirs } from './describe-log-dirs';
import { fetch } from './fetch';
import { incrementalAlterConfigs } from './incremental-alter-configs';
import { listOffsets } from './list-offsets';
import { metadata } from './metadata';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch';
import { produce } from './produce';

export const HANDLERS: readonly Handler[] = [
  produce, // 0
  fetch, // 1
  listOffsets, // 2
  metadata, // 3
  apiVersions, // 18
  createTopics, // 19
  deleteTopics, // 20
  deleteRecords, // 21
  offsetForLeaderEpoch, // 23
  describeConfigs, // 32
  alterConfigs, // 33
  describeLogDirs, // 35
  createPartitions, // 37
  incrementalAlterConfigs, // 44
  describeCluster, // 60
];
