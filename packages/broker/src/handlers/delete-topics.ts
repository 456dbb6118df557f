// DeleteTopics (key 20), v0-v6. Topics are named in `topicNames` (v0-5) or `topics` (v6, by name or by id). Follows
// Kafka's ControllerApis.deleteTopics: a v6 entry with neither name nor id, or with both, is INVALID_REQUEST; a name
// or id given twice is INVALID_REQUEST ("Duplicate topic name." / "Duplicate topic id.") and not deleted; an unknown
// name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID. With delete.topic.enable=false every topic
// gets TOPIC_DELETION_DISABLED (v3+) or INVALID_REQUEST (v0-2). Like Kafka, the broker itself does not refuse the
// internal topics (__consumer_offsets, __transaction_state): only Kafka's command-line tool does. Results carry the
// deleted topic's id; error messages are sent from v5.
import {
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  ZERO_UUID,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from '@tributary/protocol';
import { defineHandler } from './handler';

type Result = DeleteTopicsResponseDeletableTopicResult;

export const deleteTopics = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>(ApiKey.DeleteTopics, { min: 0, max: 6 }, async (req, ctx) => {
  const { broker, apiVersion } = ctx;
  const requested = apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));

  if (!broker.config.bool('delete.topic.enable')) {
    const errorCode = apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
    return { throttleTimeMs: 0, responses: requested.map((t) => result(t.name, t.topicId, errorCode, null)) };
  }

  const responses: Result[] = [];
  const names: string[] = [];
  const ids: string[] = [];
  for (const t of requested) {
    if (t.name === null) {
      if (t.topicId === ZERO_UUID) responses.push(result(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'));
      else ids.push(t.topicId);
    } else if (t.topicId === ZERO_UUID) {
      names.push(t.name);
    } else {
      responses.push(result(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'));
    }
  }
  const uniqueNames = once(names);
  const uniqueIds = once(ids);
  for (const name of new Set(names)) if (!uniqueNames.includes(name)) responses.push(result(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
  for (const id of new Set(ids)) if (!uniqueIds.includes(id)) responses.push(result(null, id, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));

  const toDelete = new Map<string, string>(); // topic id -> name
  for (const id of uniqueIds) {
    const t = broker.logs.topicById(id);
    if (t) toDelete.set(id, t.name);
    else responses.push(result(null, id, ErrorCode.UNKNOWN_TOPIC_ID, null));
  }
  const duplicateIds = new Set(ids.filter((id) => !uniqueIds.includes(id)));
  for (const name of uniqueNames) {
    const t = broker.logs.topic(name);
    if (!t) {
      responses.push(result(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null));
    } else if (toDelete.has(t.topicId) || duplicateIds.has(t.topicId)) {
      // The same topic also named by id: Kafka deletes it neither way and answers for the name only.
      toDelete.delete(t.topicId);
      responses.push(result(name, t.topicId, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'));
    } else {
      toDelete.set(t.topicId, name);
    }
  }

  for (const [id, name] of toDelete) {
    try {
      await broker.logs.deleteTopic(name);
      broker.logger.info({ topic: name, topicId: id }, 'deleted topic');
      responses.push(result(name, id, 0, null));
    } catch (err) {
      if (!(err instanceof KafkaProtocolError)) throw err;
      // Deleted concurrently: Kafka's controller would no longer find the id.
      responses.push(result(name, id, err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? ErrorCode.UNKNOWN_TOPIC_ID : err.code, null));
    }
  }
  return { throttleTimeMs: 0, responses };
});

/** The values that occur exactly once, in order. */
function once(values: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return values.filter((v) => counts.get(v) === 1);
}

function result(name: string | null, topicId: string, errorCode: number, errorMessage: string | null): Result {
  return { name, topicId, errorCode, errorMessage };
}
