// AlterConfigs (key 33), v0-v2, the legacy whole-set API. A TOPIC resource's entries replace all of the topic's
// overrides (entries left out return to their defaults), as in Kafka. Kafka's broker-side checks come first: a
// resource given twice, a key given twice, a null value (INVALID_REQUEST with Kafka's messages). BROKER resources:
// every broker setting here is static, so a non-empty change is refused exactly as Kafka refuses non-dynamic
// settings (INVALID_REQUEST "Cannot update these configs dynamically: Set(...)") rather than pretending success; the
// resource name must be "" or this node's id. BROKER_LOGGER and other types are not supported by this API (Kafka:
// "Unknown resource type"). An unknown topic is UNKNOWN_TOPIC_OR_PARTITION; invalid values INVALID_CONFIG.
// validateOnly checks and changes nothing.
import { ApiKey, ErrorCode, type AlterConfigsRequest, type AlterConfigsResponse, type AlterConfigsRequestAlterConfigsResource } from '@tributary/protocol';
import {
  ResourceError,
  ResourceType,
  checkAlterNodeId,
  checkEntries,
  duplicateResources,
  errorResult,
  invalidRequest,
  refuseBrokerChanges,
} from './config-resources';
import { defineHandler, type RequestContext } from './handler';

export const alterConfigs = defineHandler<AlterConfigsRequest, AlterConfigsResponse>(ApiKey.AlterConfigs, { min: 0, max: 2 }, async (req, ctx) => {
  const duplicates = duplicateResources(req.resources);
  const responses: AlterConfigsResponse['responses'] = [];
  for (const [i, resource] of req.resources.entries()) {
    const { resourceType, resourceName } = resource;
    try {
      if (duplicates.has(i)) throw invalidRequest('Each resource must appear at most once.');
      await alter(resource, req.validateOnly, ctx);
      responses.push({ errorCode: 0, errorMessage: null, resourceType, resourceName });
    } catch (err) {
      responses.push({ ...errorResult(err), resourceType, resourceName });
    }
  }
  return { throttleTimeMs: 0, responses };
});

async function alter(resource: AlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<void> {
  const { broker } = ctx;
  checkEntries(resource.configs, () => true);
  switch (resource.resourceType) {
    case ResourceType.BROKER:
      if (resource.resourceName !== '') checkAlterNodeId(resource.resourceName, broker.nodeId);
      refuseBrokerChanges(resource.configs.map((c) => c.name));
      return;
    case ResourceType.TOPIC: {
      const topic = resource.resourceName;
      if (!broker.logs.topic(topic)) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic}' does not exist.`);
      const configs: Record<string, string> = {};
      for (const c of resource.configs) configs[c.name] = c.value!;
      await broker.logs.replaceTopicConfig(topic, configs, validateOnly);
      if (!validateOnly) broker.logger.info({ topic, configs }, 'replaced topic config overrides');
      return;
    }
    default:
      throw invalidRequest(`Unknown resource type ${resource.resourceType}`);
  }
}
