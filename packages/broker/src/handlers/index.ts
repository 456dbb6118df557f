// Every handler this broker serves. The registry orders them by API key; ApiVersions is derived from them.
import type { Handler } from './handler';
import { apiVersions } from './api-versions';
import { createPartitions } from './create-partitions';
import { createTopics } from './create-topics';
import { deleteTopics } from './delete-topics';
import { fetch } from './fetch';
import { listOffsets } from './list-offsets';
import { metadata } from './metadata';
import { produce } from './produce';

export const HANDLERS: readonly Handler[] = [
  produce, // 0
  fetch, // 1
  listOffsets, // 2
  metadata, // 3
  apiVersions, // 18
  createTopics, // 19
  deleteTopics, // 20
  createPartitions, // 37
];
