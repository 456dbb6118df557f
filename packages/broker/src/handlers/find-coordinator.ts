// FindCoordinator (key 10), v0-6. This single broker coordinates every group and every transactional id, so the
// answer is always this node: key type 0 (group) and 1 (transaction); any other key type is INVALID_REQUEST.
// v0-3 ask for one key (v0 has no key type: a group); v4+ batch them in CoordinatorKeys, answered one by one.
// For groups the internal topic __consumer_offsets is created first if needed (as Kafka does on lookup); if that
// fails the key gets COORDINATOR_NOT_AVAILABLE and the client retries.
import {
  ApiKey,
  ErrorCode,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
} from '@tributary/protocol';
import { defineHandler, type RequestContext } from './handler';

const GROUP = 0;
const TRANSACTION = 1;

export const findCoordinator = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey.FindCoordinator, { min: 0, max: 6 }, async (req, ctx) => {
  const keyType = ctx.apiVersion >= 1 ? req.keyType : GROUP;
  if (ctx.apiVersion >= 4) {
    const coordinators = await Promise.all(req.coordinatorKeys.map((key) => lookup(ctx, key, keyType)));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
  }
  const c = await lookup(ctx, req.key, keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
});

async function lookup(ctx: RequestContext, key: string, keyType: number): Promise<FindCoordinatorResponseCoordinator> {
  const none = (errorCode: number, errorMessage: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP && keyType !== TRANSACTION) return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  if (keyType === GROUP) {
    try {
      await ctx.broker.groups.ensureOffsetsTopic();
    } catch (err) {
      ctx.broker.logger.warn({ err: (err as Error).message }, 'could not create __consumer_offsets');
      return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    }
  }
  const { host, port } = ctx.broker.advertised;
  return { key, nodeId: ctx.broker.nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null };
}
