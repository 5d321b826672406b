import { TributaryError } from '../errors';

/**
 * The CloudEvent side of the wire contract (spec 1.0, Kafka protocol binding): the names and values the relay
 * writes and consumers rely on. The relay's encoding code builds messages from these; consumers read them.
 *
 *  - `id` is the event id: stable across redeliveries, the deduplication key;
 *  - `type` is `cloudEventType(…)`, e.g. `io.tributary.order.created.v2`;
 *  - `subject` and the `partitionkey` extension are the aggregate id, which is also the Kafka message key;
 *  - `sequence` is the stream version, `sequenceOf(…)`;
 *  - `time` is when the event occurred; `dataschema`, when configured, is `dataschemaUri(…)`;
 *  - the event's metadata travels in the extensions of `METADATA_EXTENSIONS`.
 */

/** The CloudEvents spec version of every event. */
export const SPEC_VERSION = '1.0';

/** The content type of every event's data (in binary mode: the `content-type` header only). */
export const DATA_CONTENT_TYPE = 'application/json';

/** Binary mode of the Kafka protocol binding: each attribute travels in the header `ce_<attribute>`. */
export const KAFKA_HEADER_PREFIX = 'ce_';

/** Width of the `sequence` extension: the 20 digits of the largest unsigned 64-bit integer. */
export const SEQUENCE_DIGITS = 20;

/**
 * Event metadata (outbox header) → the CloudEvent extension that carries it. Extension names must match
 * `^[a-z0-9]+$`, hence lowercase.
 */
export const METADATA_EXTENSIONS = [
  ['correlationId', 'correlationid'],
  ['causationId', 'causationid'],
  ['actor', 'actor'],
  ['traceparent', 'traceparent'],
] as const;

/** What names an event's CloudEvent type: its aggregate type, its event type and its schema version. */
export interface TypedEvent {
  aggregateType: string;
  eventType: string;
  schemaVersion: number;
}

const TYPE_PREFIX = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
/** Words of a PascalCase, camelCase, snake_case or kebab-case name; acronyms and digits stay in their word. */
const WORD = /[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+/g;

function words(name: string): string[] {
  return (name.match(WORD) ?? []).map((word) => word.toLowerCase());
}

/**
 * The CloudEvent type of an event: `<typePrefix>.<aggregate>.<event words>.v<schemaVersion>`.
 *
 * Rule: split both names into lowercase words; the aggregate words join with `_`; the event type's words,
 * after dropping a leading repetition of the aggregate's words, join with `.`. So with `io.tributary`:
 * order/OrderCreated/2 → `io.tributary.order.created.v2`, order/OrderLineAdded/1 →
 * `io.tributary.order.line.added.v1`, payment/PaymentRefunded/1 → `io.tributary.payment.refunded.v1`,
 * order/ItemAdded/1 → `io.tributary.order.item.added.v1`. An event type that is only the aggregate's name
 * keeps its words. Why: the type names the aggregate once, reads as a reverse-DNS name, and consumers can
 * subscribe by prefix (`io.tributary.order.`) or by exact version.
 */
export function cloudEventType(event: TypedEvent, typePrefix: string): string {
  // The relay asks for the same few types millions of times: remember them (the set of types is small).
  const key = `${typePrefix}\u0000${event.aggregateType}\u0000${event.eventType}\u0000${event.schemaVersion}`;
  let type = knownTypes.get(key);
  if (type === undefined) {
    type = computeType(event, typePrefix);
    if (knownTypes.size < 10_000) knownTypes.set(key, type);
  }
  return type;
}

const knownTypes = new Map<string, string>();

function computeType(event: TypedEvent, typePrefix: string): string {
  if (!TYPE_PREFIX.test(typePrefix)) {
    throw invalid(`type prefix '${typePrefix}' must be lowercase dotted words, e.g. 'io.tributary'`);
  }
  const aggregate = words(event.aggregateType);
  const action = words(event.eventType);
  if (aggregate.length === 0) throw invalid(`aggregate type '${event.aggregateType}' has no words`);
  if (action.length === 0) throw invalid(`event type '${event.eventType}' has no words`);
  const repeatsAggregate =
    action.length > aggregate.length && aggregate.every((word, i) => action[i] === word);
  const rest = repeatsAggregate ? action.slice(aggregate.length) : action;
  return `${typePrefix}.${aggregate.join('_')}.${rest.join('.')}.v${event.schemaVersion}`;
}

/**
 * The `sequence` extension: the stream version, zero-padded. The extension is a string that consumers
 * compare lexically, so without padding version 10 would sort before version 9.
 */
export function sequenceOf(streamVersion: number): string {
  if (!Number.isSafeInteger(streamVersion) || streamVersion < 0) {
    throw invalid(`stream version ${streamVersion} is not an integer >= 0`);
  }
  return String(streamVersion).padStart(SEQUENCE_DIGITS, '0');
}

/**
 * The `dataschema` URI of an event type and version under `base` (an absolute URI):
 * `<base>/<aggregateType>/<eventType>/v<schemaVersion>.json`. Immutable once published.
 */
export function dataschemaUri(event: TypedEvent, base: string): string {
  const path = [event.aggregateType, event.eventType].map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${path}/v${event.schemaVersion}.json`;
}

function invalid(message: string): TributaryError {
  return new TributaryError('input.invalid', message);
}
