/**
 * `import … from 'tributary/consumer'`: for services that consume the topics (docs/integrators.md).
 * `decodeCloudEvent` turns a Kafka record (kafkajs's, or any `{ key, value, headers }`) in binary or structured
 * mode into a typed CloudEvent; `toVersion` brings its data to the schema version the consumer was written
 * against, upcasting or downcasting. Errors are `TributaryError`s with code `input.invalid`.
 */
export { decodeCloudEvent, toVersion } from '../consumer';
export type { KafkaHeaderValue, KafkaRecordLike, TributaryCloudEvent } from '../consumer';
export { cloudEventType, SEQUENCE_DIGITS } from '../contracts';
export type { IntegrationPayload } from '../contracts';
export { TributaryError } from '../errors';
export type { ErrorCode } from '../errors';
