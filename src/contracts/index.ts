/**
 * The wire contract between the relay, the projections and outside integrators: topic names, CloudEvent
 * attribute and extension names, type names, and the payload shapes consumers rely on. Names, types and pure
 * functions only, no I/O: the relay's encoding and the consumers' decoding both build on it.
 */
export {
  dlqTopic,
  MAX_TOPIC_LENGTH,
  topicPerAggregateType,
  validTopicName,
  VERIFY_GROUP_PREFIX,
} from './topics';
export {
  cloudEventType,
  DATA_CONTENT_TYPE,
  dataschemaUri,
  KAFKA_HEADER_PREFIX,
  METADATA_EXTENSIONS,
  SEQUENCE_DIGITS,
  sequenceOf,
  SPEC_VERSION,
  type TypedEvent,
} from './cloudevent';
export {
  ORDER_AGGREGATE_TYPE,
  orderContracts,
  orderPayloadUpcasters,
  orderTopic,
  type ConsumerContracts,
  type IntegrationPayload,
  type KnownType,
  type PayloadUpcaster,
  type PayloadUpcasters,
} from './order-topic';
export {
  canonicalJson,
  EVENT_CONTRACTS,
  JSON_SCHEMA_DIALECT,
  PAYLOAD_UPCASTERS,
  PAYMENT_AGGREGATE_TYPE,
  parseSchemaFile,
  SCHEMA_MEDIA_TYPE,
  schemaDocumentOf,
  schemaFile,
  schemaHash,
  schemaRefsOf,
  schemaText,
  type EventContract,
  type SchemaDocument,
  type SchemaRef,
} from './schemas';
export { createSchemaRegistry, type SchemaRegistry, type ServedSchema } from './schemas-registry';
export { checkSchemas, upcastPayload, type CheckInput, type SchemaLock } from './schemas-check';
export { examplesOf } from './schemas-examples';
export { asyncApiDocument, type AsyncApiOptions } from './schemas-asyncapi';
