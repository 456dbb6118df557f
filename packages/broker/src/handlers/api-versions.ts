// ApiVersions (key 18), v0-v3. The list is derived from the handler registry. v3 requests carry the client's
// software name and version (KIP-511), which must match Kafka's pattern or the answer is INVALID_REQUEST with no
// API list (librdkafka then retries with v0); their response still uses response header v0, which encodeResponse
// handles. An unsupported ApiVersions version is answered by dispatch with error 35 in a v0 body.
import { ApiKey, ErrorCode, type ApiVersionsRequest, type ApiVersionsResponse } from '@tributary/protocol';
import { defineHandler } from './handler';
import type { HandlerRegistry } from './registry';

/** Kafka's ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN. */
const SOFTWARE_NAME_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersions = defineHandler<ApiVersionsRequest, ApiVersionsResponse>(ApiKey.ApiVersions, { min: 0, max: 3 }, (req, ctx) => {
  if (ctx.apiVersion >= 3 && !(SOFTWARE_NAME_VERSION.test(req.clientSoftwareName) && SOFTWARE_NAME_VERSION.test(req.clientSoftwareVersion))) {
    return { ...apiVersionsBody(ctx.broker.registry, ErrorCode.INVALID_REQUEST), apiKeys: [] };
  }
  return apiVersionsBody(ctx.broker.registry);
});

/** The ApiVersions response body listing every registered API's version range. */
export function apiVersionsBody(registry: HandlerRegistry, errorCode = 0): ApiVersionsResponse {
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
