// Every handler this broker serves. The registry orders them by API key; ApiVersions is derived from them.
import type { Handler } from './handler';
import { apiVersions } from './api-versions';
import { fetch } from './fetch';
import { listOffsets } from './list-offsets';
import { metadata } from './metadata';
import { produce } from './produce';

export const HANDLERS: readonly Handler[] = [produce, fetch, listOffsets, metadata, apiVersions];
