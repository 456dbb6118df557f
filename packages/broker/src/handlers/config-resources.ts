// Shared by DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: Kafka's resource-type, config-source and
// config-type ids, and the request checks Kafka's ConfigAdminManager.preprocess makes before any resource is read or
// changed (duplicate resources, duplicate keys, null values, the broker id in the resource name), with its messages.
import { ErrorCode, KafkaProtocolError } from '@tributary/protocol';
import type { BrokerConfigSource, BrokerConfigType } from '../config/broker-config-description';
import type { ConfigSource, ConfigType } from '../log';

/** ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, CLIENT_METRICS: 16, BROKER_LOGGER: 8, GROUP: 32 } as const;

const RESOURCE_TYPE_NAMES = new Map<number, string>(Object.entries(ResourceType).map(([k, v]) => [v, k]));

/** Kafka's enum name for a resource type id (UNKNOWN for ids it does not define). */
export function resourceTypeName(id: number): string {
  return RESOURCE_TYPE_NAMES.get(id) ?? 'UNKNOWN';
}

/** DescribeConfigsResponse.ConfigSource ids. */
const SOURCE_IDS: Record<ConfigSource | BrokerConfigSource, number> = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};
export const configSourceId = (source: ConfigSource | BrokerConfigSource): number => SOURCE_IDS[source];

/** DescribeConfigsResponse.ConfigType ids. */
const TYPE_IDS: Record<ConfigType | BrokerConfigType, number> = {
  unknown: 0,
  boolean: 1,
  string: 2,
  int: 3,
  long: 5,
  double: 6,
  list: 7,
};
export const configTypeId = (type: ConfigType | BrokerConfigType): number => TYPE_IDS[type];

/** A per-resource failure: an error code with Kafka's message (null for the code's default). */
export class ResourceError extends KafkaProtocolError {
  constructor(
    code: number,
    readonly detail: string | null,
  ) {
    super(code, detail ?? undefined);
  }
}

export const invalidRequest = (message: string) => new ResourceError(ErrorCode.INVALID_REQUEST, message);

/** The code and message to put into a resource's result for an error thrown while handling it. */
export function errorResult(err: unknown): { errorCode: number; errorMessage: string | null } {
  if (err instanceof ResourceError) return { errorCode: err.code, errorMessage: err.detail };
  if (err instanceof KafkaProtocolError) return { errorCode: err.code, errorMessage: err.message };
  throw err;
}

/** Indexes of resources that name the same (type, name) as another: Kafka rejects all of them. */
export function duplicateResources(resources: readonly { resourceType: number; resourceName: string }[]): Set<number> {
  const seen = new Map<string, number>();
  const dups = new Set<number>();
  resources.forEach((r, i) => {
    const key = `${r.resourceType}\u0000${r.resourceName}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else dups.add(first).add(i);
  });
  return dups;
}

/** Kafka's preprocess checks on one resource's entries: duplicate keys, then null values where a value is needed. */
export function checkEntries(configs: readonly { name: string; value: string | null }[], needsValue: (i: number) => boolean): void {
  if (new Set(configs.map((c) => c.name)).size !== configs.length) throw invalidRequest('Error due to duplicate config keys');
  const nulls = configs.filter((c, i) => c.value === null && needsValue(i)).map((c) => c.name);
  if (nulls.length) throw invalidRequest(`Null value not supported for : ${nulls.join(', ')}`);
}

/** ConfigAdminManager.validateResourceNameIsCurrentNodeId, for altering BROKER and BROKER_LOGGER resources. */
export function checkAlterNodeId(name: string, nodeId: number): void {
  if (!/^[+-]?\d+$/.test(name)) throw invalidRequest(`Node id must be an integer, but it is: ${name}`);
  if (Number(name) !== nodeId) throw invalidRequest(`Unexpected broker id, expected ${nodeId}, but received ${name}`);
}

/**
 * Every broker setting here is static, so any change to one is refused as Kafka refuses a non-dynamic setting
 * (DynamicBrokerConfig.validateConfigs, surfaced as INVALID_REQUEST).
 */
export function refuseBrokerChanges(names: readonly string[]): void {
  if (names.length) throw invalidRequest(`Cannot update these configs dynamically: Set(${names.join(', ')})`);
}
