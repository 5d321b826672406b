/**
 * The consuming side of the wire contract, for integrators (`tributary/consumer`): decoding a Kafka record into
 * a typed CloudEvent, and bringing its data to the schema version the consumer knows.
 */
export {
  decodeCloudEvent,
  type KafkaHeaderValue,
  type KafkaRecordLike,
  type TributaryCloudEvent,
} from './decode';
export { toVersion } from './to-version';
