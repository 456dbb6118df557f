// Every handler this broker serves. The registry orders them by API key; ApiVersions is derived from them.
import type { Handler } from './handler';
import { addOffsetsToTxn } from './add-offsets-to-txn';
import { addPartitionsToTxn } from './add-partitions-to-txn';
import { alterConfigs } from './alter-configs';
import { apiVersions } from './api-versions';
import { createPartitions } from './create-partitions';
import { createTopics } from './create-topics';
import { deleteGroups } from './delete-groups';
import { deleteRecords } from './delete-records';
import { deleteTopics } from './delete-topics';
import { describeCluster } from './describe-cluster';
import { describeConfigs } from './describe-configs';
import { describeGroups } from './describe-groups';
import { describeLogDirs } from './describe-log-dirs';
import { endTxn } from './end-txn';
import { fetch } from './fetch';
import { findCoordinator } from './find-coordinator';
import { heartbeat } from './heartbeat';
import { incrementalAlterConfigs } from './incremental-alter-configs';
import { initProducerId } from './init-producer-id';
import { joinGroup } from './join-group';
import { leaveGroup } from './leave-group';
import { listGroups } from './list-groups';
import { listOffsets } from './list-offsets';
import { metadata } from './metadata';
import { offsetCommit } from './offset-commit';
import { offsetDelete } from './offset-delete';
import { offsetFetch } from './offset-fetch';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch';
import { produce } from './produce';
import { syncGroup } from './sync-group';
import { txnOffsetCommit } from './txn-offset-commit';

export const HANDLERS: readonly Handler[] = [
  produce, // 0
  fetch, // 1
  listOffsets, // 2
  metadata, // 3
  offsetCommit, // 8
  offsetFetch, // 9
  findCoordinator, // 10
  joinGroup, // 11
  heartbeat, // 12
  leaveGroup, // 13
  syncGroup, // 14
  describeGroups, // 15
  listGroups, // 16
  apiVersions, // 18
  createTopics, // 19
  deleteTopics, // 20
  deleteRecords, // 21
  initProducerId, // 22
  offsetForLeaderEpoch, // 23
  addPartitionsToTxn, // 24
  addOffsetsToTxn, // 25
  endTxn, // 26
  txnOffsetCommit, // 28
  describeConfigs, // 32
  alterConfigs, // 33
  describeLogDirs, // 35
  createPartitions, // 37
  deleteGroups, // 42
  incrementalAlterConfigs, // 44
  offsetDelete, // 47
  describeCluster, // 60
];
