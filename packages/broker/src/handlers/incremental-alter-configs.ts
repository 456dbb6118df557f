// IncrementalAlterConfigs (key 44), v0-v1. Operations per key: SET (0), DELETE (1, back to the default), APPEND (2)
// and SUBTRACT (3), the last two only on list configs (cleanup.policy): elsewhere INVALID_CONFIG "Can't APPEND to key
// X because its type is not LIST.". APPEND adds the items not already present to the effective value; SUBTRACT
// removes items. Kafka's broker-side checks come first (duplicate resource, duplicate key, a null value on anything
// but DELETE, an unknown operation: INVALID_REQUEST). BROKER resources: every broker setting here is static, so a
// SET/APPEND/SUBTRACT is refused as Kafka refuses non-dynamic settings ("Cannot update these configs dynamically:
// Set(...)"); DELETE only has nothing to remove and succeeds. BROKER_LOGGER: the name must be this node's id; this
// broker exposes no log4j loggers, so SET/DELETE of any logger is INVALID_CONFIG "Logger X does not exist!" and
// APPEND/SUBTRACT INVALID_REQUEST, Kafka's answers. validateOnly checks and changes nothing.
import {
  ApiKey,
  ErrorCode,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
  type IncrementalAlterConfigsResponse,
} from '@tributary/protocol';
import { isBrokerListConfig, isKnownBrokerConfig } from '../config/broker-config-description';
import type { ConfigOpType } from '../log';
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

const OPS: readonly ConfigOpType[] = ['set', 'delete', 'append', 'subtract'];
const DELETE = 1;

export const incrementalAlterConfigs = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(
  ApiKey.IncrementalAlterConfigs,
  { min: 0, max: 1 },
  async (req, ctx) => {
    const duplicates = duplicateResources(req.resources);
    const responses: IncrementalAlterConfigsResponse['responses'] = [];
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
  },
);

async function alter(resource: IncrementalAlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<void> {
  const { broker } = ctx;
  const { configs } = resource;
  checkEntries(configs, (i) => configs[i].configOperation !== DELETE);
  switch (resource.resourceType) {
    case ResourceType.BROKER_LOGGER:
      checkAlterNodeId(resource.resourceName, broker.nodeId);
      for (const c of configs) {
        const op = OPS[c.configOperation];
        if (op === 'set' || op === 'delete') throw new ResourceError(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
        if (op) throw invalidRequest(`${op.toUpperCase()} operation is not allowed for the BROKER_LOGGER resource`);
        throw invalidRequest(`Unknown operation type ${c.configOperation} is not allowed for the BROKER_LOGGER resource`);
      }
      return;
    case ResourceType.BROKER: {
      if (resource.resourceName !== '') checkAlterNodeId(resource.resourceName, broker.nodeId);
      for (const c of configs) {
        const op = OPS[c.configOperation];
        if (!op) throw invalidRequest(`Unknown operations type ${c.configOperation}`);
        if ((op === 'append' || op === 'subtract') && isKnownBrokerConfig(c.name) && !isBrokerListConfig(c.name)) {
          throw new ResourceError(ErrorCode.INVALID_CONFIG, `Config value ${op} is not allowed for config key: ${c.name}`);
        }
      }
      refuseBrokerChanges(configs.filter((c) => c.configOperation !== DELETE).map((c) => c.name));
      return;
    }
    case ResourceType.TOPIC: {
      const topic = resource.resourceName;
      if (!broker.logs.topic(topic)) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic}' does not exist.`);
      const ops = configs.map((c) => {
        const op = OPS[c.configOperation];
        if (!op) throw invalidRequest(`Unknown operations type ${c.configOperation}`);
        return { name: c.name, op, value: c.value };
      });
      const after = await broker.logs.alterTopicConfig(topic, ops, validateOnly);
      if (!validateOnly) broker.logger.info({ topic, configs: after.configs }, 'altered topic config overrides');
      return;
    }
    default:
      throw invalidRequest(`Unknown resource type ${resource.resourceType}`);
  }
}
