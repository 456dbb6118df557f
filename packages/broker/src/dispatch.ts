// Dispatch: request header -> version gate -> handler -> encoded response. The version check happens here,
// once, for every API. ApiVersions with an unsupported version is answered (error 35 and the supported
// ranges in a v0 body, as Kafka does since KIP-511) so clients can fall back; any other unsupported version,
// an unknown API key or an undecodable body throws, and the transport closes that connection.
import { ApiKey, ErrorCode, Reader, decodeRequestHeader, encodeResponse } from '@tributary/protocol';
import type { Logger } from 'pino';
import type { Broker } from './broker';
import type { Connection, FrameHandler, ResponseFrames } from './network/connection';
import { NO_RESPONSE, type Handler, type RequestContext } from './handlers/handler';
import { apiVersionsBody } from './handlers/api-versions';
import type { HandlerRegistry } from './handlers/registry';

/**
 * Intercepts one API before its handler (fault injection in tests): return a response body to answer with it,
 * NO_RESPONSE to send nothing, or call `next()` to run the real handler. Throwing closes the connection.
 */
export type Interceptor = (request: any, ctx: RequestContext, next: () => Promise<unknown>) => unknown;

/** A handler may encode its own response frame(s): Fetch sends large record sets without copying them. */
type SelfEncoding = { encodeResponse?: (apiVersion: number, correlationId: number, response: any) => ResponseFrames };

export class Dispatcher implements FrameHandler {
  private readonly interceptors = new Map<number, Interceptor>();

  constructor(
    private readonly broker: Broker,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
  ) {}

  async handle(frame: Buffer, connection: Connection): Promise<ResponseFrames> {
    const reader = new Reader(frame);
    const header = decodeRequestHeader(reader);
    const { apiKey, apiVersion, correlationId } = header;
    const handler: Handler | undefined = this.registry.get(apiKey);
    if (!handler) throw new Error(`unsupported API key ${apiKey}`);

    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        const body = apiVersionsBody(this.registry, ErrorCode.UNSUPPORTED_VERSION);
        return encodeResponse(apiKey, 0, correlationId, body);
      }
      throw new Error(`${handler.api.name} v${apiVersion} is not supported (${handler.minVersion}-${handler.maxVersion})`);
    }

    const request = handler.api.request.decode(reader, apiVersion);
    const ctx: RequestContext = {
      broker: this.broker,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      connectionId: connection.id,
      remote: connection.remote,
      signal: connection.signal,
    };
    const interceptor = this.interceptors.get(apiKey);
    const response = interceptor
      ? await interceptor(request, ctx, async () => handler.handle(request, ctx))
      : await handler.handle(request, ctx);
    if (response === NO_RESPONSE) return null;
    if (this.logger.isLevelEnabled('trace')) {
      this.logger.trace({ conn: connection.id, api: handler.api.name, v: apiVersion, correlationId }, 'request');
    }
    const encode = (handler as SelfEncoding).encodeResponse;
    if (encode && !Buffer.isBuffer(response)) return encode(apiVersion, correlationId, response);
    return encodeResponse(apiKey, apiVersion, correlationId, response);
  }

  /** Installs (or with undefined, removes) an interceptor for one API key. */
  intercept(apiKey: number, interceptor: Interceptor | undefined): void {
    if (interceptor) this.interceptors.set(apiKey, interceptor);
    else this.interceptors.delete(apiKey);
  }
}
