// Internal topics (the coordinators' own) and the authorized-operations bitfields Metadata and Describe* report.
// Topic-name validation lives in the log layer (LogManager.createTopic).

export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** Kafka's ACL operation bits, for the authorized-operations fields (no ACLs here: everything is allowed). */
const op = (...codes: number[]) => codes.reduce((acc, c) => acc | (1 << c), 0);
// READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
// ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12, CREATE_TOKENS 13, DESCRIBE_TOKENS 14
export const TOPIC_AUTHORIZED_OPERATIONS = op(3, 4, 5, 6, 7, 8, 10, 11);
export const CLUSTER_AUTHORIZED_OPERATIONS = op(5, 7, 8, 9, 10, 11, 12, 13, 14);
export const GROUP_AUTHORIZED_OPERATIONS = op(3, 6, 8);
/** The value Kafka sends when authorized operations were not requested. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
