// ApiVersions (key 18), v0-v3. The list is derived from the handler registry. v3 requests carry the client's
// software name and version (KIP-511); their response still uses response header v0, which encodeResponse
// handles. An unsupported ApiVersions version is answered by dispatch with error 35 in a v0 body.
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';
import type { HandlerRegistry } from './registry';

export const apiVersions = defineHandler(ApiKey.ApiVersions, { min: 0, max: 3 }, (_req, ctx) => apiVersionsBody(ctx.broker.registry));

/** The ApiVersions response body listing every registered API's version range. */
export function apiVersionsBody(registry: HandlerRegistry, errorCode = 0) {
  return {
    errorCode,
    apiKeys: registry.list().map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}
