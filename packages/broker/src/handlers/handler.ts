// What a handler is: one Kafka API, the version range this broker implements for it, and a function from
// the decoded request to the response body. Kafka errors go into the response; a thrown error is a broken
// connection (dispatch closes it). Handlers see the domain through `RequestContext.broker`, never sockets.
import { API_DEFINITIONS, type ApiDefinition } from '@tributary/protocol';
import type { Broker } from '../broker';

export interface RequestContext {
  readonly broker: Broker;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connectionId: number;
  readonly remote: string;
  /** Aborted when the client's connection closes: long waits (Fetch long-polls) end early. */
  readonly signal: AbortSignal;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

export interface Handler<Req = any, Res = any> {
  readonly api: ApiDefinition;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: Req, ctx: RequestContext): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

/** Declares a handler for `apiKey`, implementing versions [minVersion, maxVersion]. */
export function defineHandler<Req, Res>(
  apiKey: number,
  versions: { min: number; max: number },
  handle: Handler<Req, Res>['handle'],
): Handler<Req, Res> {
  const api = API_DEFINITIONS.get(apiKey);
  if (!api) throw new Error(`unknown API key ${apiKey}`);
  if (versions.min < api.minVersion || versions.max > api.maxVersion) {
    throw new Error(`${api.name}: versions ${versions.min}-${versions.max} outside the protocol's ${api.minVersion}-${api.maxVersion}`);
  }
  return { api, minVersion: versions.min, maxVersion: versions.max, handle };
}
