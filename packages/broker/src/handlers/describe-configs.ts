// DescribeConfigs (key 32), v0-v4. Follows Kafka's ConfigHelper. TOPIC resources list every topic config with its
// effective value and source (DYNAMIC_TOPIC_CONFIG override, STATIC_BROKER_CONFIG, DEFAULT_CONFIG); an illegal name
// is INVALID_TOPIC_EXCEPTION, an unknown topic UNKNOWN_TOPIC_OR_PARTITION. BROKER resources: the node id lists every
// broker setting (all read-only: nothing here is dynamic), "" the dynamic cluster defaults (there are none, so an
// empty list), another id INVALID_REQUEST. BROKER_LOGGER: this broker exposes no log4j loggers, so the node id
// answers an empty list. `configurationKeys` null or empty means all keys; unknown keys are left out. Synonyms (v1+)
// only when asked, documentation (v3+) only when asked; configType v3+; isDefault v0. A resource type Kafka does not
// know fails the whole request with INVALID_REQUEST, as Kafka's authorisation step does.
import {
  ApiKey,
  ErrorCode,
  kafkaError,
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '@tributary/protocol';
import { describeBrokerConfig } from '../config/broker-config-description';
import { validateTopicName } from '../log';
import { ResourceError, ResourceType, configSourceId, configTypeId, errorResult, invalidRequest, resourceTypeName } from './config-resources';
import { defineHandler, type RequestContext } from './handler';

type Entry = DescribeConfigsResponseDescribeConfigsResourceResult;
type Resource = DescribeConfigsRequestDescribeConfigsResource;

const KNOWN_TYPES = new Set<number>(Object.values(ResourceType).filter((t) => t !== ResourceType.UNKNOWN));

export const describeConfigs = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>(ApiKey.DescribeConfigs, { min: 0, max: 4 }, (req, ctx) => {
  if (req.resources.some((r) => !KNOWN_TYPES.has(r.resourceType))) {
    const { code, message } = kafkaError(ErrorCode.INVALID_REQUEST);
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({ errorCode: code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    };
  }
  const options = { synonyms: ctx.apiVersion >= 1 && req.includeSynonyms, documentation: ctx.apiVersion >= 3 && req.includeDocumentation };
  return { throttleTimeMs: 0, results: req.resources.map((r) => describe(r, ctx, options)) };
});

interface Options {
  synonyms: boolean;
  documentation: boolean;
}

function describe(resource: Resource, ctx: RequestContext, options: Options): DescribeConfigsResponseDescribeConfigsResult {
  const { resourceType, resourceName } = resource;
  try {
    const entries = entriesOf(resource, ctx, options);
    const keys = resource.configurationKeys;
    const wanted = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
    return { errorCode: 0, errorMessage: null, resourceType, resourceName, configs: wanted };
  } catch (err) {
    return { ...errorResult(err), resourceType, resourceName, configs: [] };
  }
}

function entriesOf(resource: Resource, ctx: RequestContext, options: Options): Entry[] {
  const { broker } = ctx;
  const name = resource.resourceName;
  switch (resource.resourceType) {
    case ResourceType.TOPIC: {
      validateTopicName(name);
      if (!broker.logs.topic(name)) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
      return broker.logs.describeTopicConfig(name).map((c) =>
        entry(options, {
          name: c.name,
          value: c.sensitive ? null : c.value,
          readOnly: c.readOnly,
          source: configSourceId(c.source),
          sensitive: c.sensitive,
          type: configTypeId(c.type),
          documentation: c.documentation,
          synonyms: c.synonyms.map((s) => ({ name: s.name, value: c.sensitive ? null : s.value, source: configSourceId(s.source) })),
        }),
      );
    }
    case ResourceType.BROKER: {
      if (name === '') return []; // no dynamic cluster-wide defaults
      if (brokerId(name) !== broker.nodeId) throw invalidRequest(`Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${name}`);
      return describeBrokerConfig(broker.config).map((c) =>
        entry(options, {
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          source: configSourceId(c.source),
          sensitive: c.sensitive,
          type: configTypeId(c.type),
          documentation: c.documentation,
          synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSourceId(s.source) })),
        }),
      );
    }
    case ResourceType.BROKER_LOGGER:
      if (name === '') throw invalidRequest('Broker id must not be empty');
      if (brokerId(name) !== broker.nodeId) throw invalidRequest(`Unexpected broker id, expected ${broker.nodeId} but received ${name}`);
      return [];
    default:
      throw invalidRequest(`Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
  }
}

function brokerId(name: string): number {
  if (!/^[+-]?\d+$/.test(name)) throw invalidRequest(`Broker id must be an integer, but it is: ${name}`);
  return Number(name);
}

interface Described {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  sensitive: boolean;
  type: number;
  documentation: string | null;
  synonyms: { name: string; value: string | null; source: number }[];
}

function entry(options: Options, d: Described): Entry {
  return {
    name: d.name,
    value: d.value,
    readOnly: d.readOnly,
    isDefault: d.source === configSourceId('DEFAULT_CONFIG'),
    configSource: d.source,
    isSensitive: d.sensitive,
    synonyms: options.synonyms ? d.synonyms : [],
    configType: d.type,
    documentation: options.documentation ? d.documentation : null,
  };
}
