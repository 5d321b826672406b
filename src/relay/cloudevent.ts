import { isDeepStrictEqual } from 'node:util';
import { CloudEvent, Kafka, ValidationError, type Headers } from 'cloudevents';
import type { Message } from 'kafkajs';
import { TributaryError } from '../errors';
import type { OutboxEntry } from '../outbox/types';
import { withParsedPayload, type RelayEntry } from './transaction-buffer';

/**
 * Outbox entry → CloudEvent (spec 1.0) → Kafka message, per the attribute table in docs/relay.md.
 *
 * The id is the event id, so it stays the same across redeliveries and is the consumers' deduplication key.
 * The message key is the aggregate id, so all events of an aggregate land in one partition, in order.
 */

export interface CloudEventOptions {
  /** URI-reference of the producing service, e.g. `/tributary/orders`. */
  source: string;
  /** Reverse-DNS prefix of event types, e.g. `io.tributary`. */
  typePrefix: string;
  /** Absolute base URI of the JSON Schemas; without it, events carry no `dataschema`. */
  dataschemaBase?: string;
}

/** Width of the `sequence` extension: the 20 digits of the largest unsigned 64-bit integer. */
export const SEQUENCE_DIGITS = 20;

/** Outbox header → CloudEvent extension (extension names must match `^[a-z0-9]+$`). */
const HEADER_EXTENSIONS = [
  ['correlationId', 'correlationid'],
  ['causationId', 'causationid'],
  ['actor', 'actor'],
  ['traceparent', 'traceparent'],
] as const;

/** The Kafka header of each extension in binary mode. */
const EXTENSION_HEADERS = HEADER_EXTENSIONS.map(([, extension]) => `ce_${extension}`);

const TYPE_PREFIX = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
/** Words of a PascalCase, camelCase, snake_case or kebab-case name; acronyms and digits stay in their word. */
const WORD = /[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+/g;

function words(name: string): string[] {
  return (name.match(WORD) ?? []).map((word) => word.toLowerCase());
}

/**
 * The CloudEvent type of an entry: `<typePrefix>.<aggregate>.<event words>.v<schemaVersion>`.
 *
 * Rule: split both names into lowercase words; the aggregate words join with `_`; the event type's words,
 * after dropping a leading repetition of the aggregate's words, join with `.`. So with `io.tributary`:
 * order/OrderCreated/2 → `io.tributary.order.created.v2`, order/OrderLineAdded/1 →
 * `io.tributary.order.line.added.v1`, payment/PaymentRefunded/1 → `io.tributary.payment.refunded.v1`,
 * order/ItemAdded/1 → `io.tributary.order.item.added.v1`. An event type that is only the aggregate's name
 * keeps its words. Why: the type names the aggregate once, reads as a reverse-DNS name, and consumers can
 * subscribe by prefix (`io.tributary.order.`) or by exact version.
 */
export function cloudEventType(
  entry: Pick<OutboxEntry, 'aggregateType' | 'eventType' | 'schemaVersion'>,
  typePrefix: string,
): string {
  // The relay asks for the same few types millions of times: remember them (the set of types is small).
  const key = `${typePrefix}\u0000${entry.aggregateType}\u0000${entry.eventType}\u0000${entry.schemaVersion}`;
  let type = knownTypes.get(key);
  if (type === undefined) {
    type = computeType(entry, typePrefix);
    if (knownTypes.size < 10_000) knownTypes.set(key, type);
  }
  return type;
}

const knownTypes = new Map<string, string>();

function computeType(
  entry: Pick<OutboxEntry, 'aggregateType' | 'eventType' | 'schemaVersion'>,
  typePrefix: string,
): string {
  if (!TYPE_PREFIX.test(typePrefix)) {
    throw invalid(`type prefix '${typePrefix}' must be lowercase dotted words, e.g. 'io.tributary'`);
  }
  const aggregate = words(entry.aggregateType);
  const event = words(entry.eventType);
  if (aggregate.length === 0) throw invalid(`aggregate type '${entry.aggregateType}' has no words`);
  if (event.length === 0) throw invalid(`event type '${entry.eventType}' has no words`);
  const repeatsAggregate = event.length > aggregate.length && aggregate.every((word, i) => event[i] === word);
  const action = repeatsAggregate ? event.slice(aggregate.length) : event;
  return `${typePrefix}.${aggregate.join('_')}.${action.join('.')}.v${entry.schemaVersion}`;
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

/** Builds the CloudEvent of an outbox entry. Throws `input.invalid` when the entry cannot make a valid one. */
export function toCloudEvent(entry: OutboxEntry, options: CloudEventOptions): CloudEvent<unknown> {
  const attributes: Record<string, unknown> = {
    specversion: '1.0',
    id: entry.id,
    source: options.source,
    type: cloudEventType(entry, options.typePrefix),
    subject: entry.aggregateId,
    time: timeOf(entry),
    datacontenttype: 'application/json',
    partitionkey: entry.aggregateId,
    sequence: sequenceOf(entry.streamVersion),
    data: entry.payload,
  };
  const dataschema = dataschemaOf(entry, options);
  if (dataschema !== undefined) attributes.dataschema = dataschema;
  for (const [header, extension] of HEADER_EXTENSIONS) {
    const value = entry.headers[header];
    if (typeof value === 'string' && value !== '') attributes[extension] = value;
  }
  try {
    return new CloudEvent<unknown>(attributes);
  } catch (error) {
    throw invalid(`event ${entry.id} does not make a valid CloudEvent: ${(error as Error).message}`, error);
  }
}

/** The `time` attribute: occurredAt in ISO form, as the SDK writes and reads it (so it round-trips). */
function timeOf(entry: Pick<OutboxEntry, 'id' | 'headers'>): string {
  const occurredAt = entry.headers.occurredAt;
  const time = occurredAt === undefined ? NaN : Date.parse(occurredAt);
  if (Number.isNaN(time)) {
    // The SDK would stamp "now", which differs on every redelivery: refuse instead.
    throw invalid(`event ${entry.id} has no valid occurredAt header (got '${occurredAt}')`);
  }
  return new Date(time).toISOString();
}

function dataschemaOf(
  entry: Pick<OutboxEntry, 'aggregateType' | 'eventType' | 'schemaVersion'>,
  options: CloudEventOptions,
): string | undefined {
  if (options.dataschemaBase === undefined) return undefined;
  const base = options.dataschemaBase.replace(/\/+$/, '');
  const path = [entry.aggregateType, entry.eventType].map(encodeURIComponent).join('/');
  return `${base}/${path}/v${entry.schemaVersion}.json`;
}

/** Binary: attributes in `ce_*` headers, data as the value (the default). Structured: the whole event as JSON. */
export type KafkaContentMode = 'binary' | 'structured';

/** A kafkajs message with everything set: key, a string value, string headers. */
export type KafkaRecord = Message & { key: string; value: string; headers: Record<string, string> };

/**
 * Encodes a CloudEvent with JSON data as a Kafka message, through the SDK's Kafka protocol binding.
 *
 * The SDK's binary message leaves the value unserialized and may carry undefined headers; kafkajs needs
 * strings or Buffers, so both are fixed here. No Kafka timestamp is set: the producer stamps the send time,
 * because an old `occurredAt` as the record time would let time-based retention delete the event at once.
 */
export function toKafkaMessage(event: CloudEvent<unknown>, mode: KafkaContentMode = 'binary'): KafkaRecord {
  if (typeof event.partitionkey !== 'string' || event.partitionkey === '') {
    throw invalid(`event ${event.id} has no partitionkey to use as the message key`);
  }
  if (event.data === undefined) {
    throw invalid(`event ${event.id} has no data`);
  }
  const message = mode === 'binary' ? Kafka.binary(event) : Kafka.structured(event);
  const value = mode === 'binary' ? JSON.stringify(event.data) : String(message.value);
  return { key: event.partitionkey, value, headers: stringHeaders(message.headers) };
}

/**
 * The relay's encoder: relay entry → Kafka record, in the configured content mode.
 *
 * Structured mode goes through the SDK (`toCloudEvent`, `toKafkaMessage`). Binary mode, the default and the
 * hot path, writes the record directly: the same key and headers as the SDK's binding, and the payload's
 * stored JSON text as the value (equal data; the jsonb text may differ from `JSON.stringify` in whitespace).
 * Measured on the relay (docs/benchmarks-history.md §4): building, validating and copying an SDK CloudEvent
 * per event took about a fifth of the relay's CPU. So that the two can never drift apart, the first event of
 * each shape (type and set of extensions) is also encoded by the SDK and compared; a difference stops the
 * relay.
 */
export function kafkaEncoder(
  options: CloudEventOptions,
  mode: KafkaContentMode = 'binary',
): (entry: RelayEntry) => KafkaRecord {
  if (mode === 'structured') {
    return (entry) => toKafkaMessage(toCloudEvent(withParsedPayload(entry), options), 'structured');
  }
  // Per type, a bit per set of extensions already compared (4 extensions: 16 sets), so the check costs no
  // allocation on the hot path.
  const checked = new Map<string, number>();
  return (entry) => {
    const record = binaryRecord(entry, options);
    const type = record.headers.ce_type!;
    let extensions = 0;
    EXTENSION_HEADERS.forEach((name, bit) => {
      if (record.headers[name] !== undefined) extensions |= 1 << bit;
    });
    const seen = checked.get(type) ?? 0;
    if ((seen & (1 << extensions)) === 0) {
      const sdk = toKafkaMessage(toCloudEvent(withParsedPayload(entry), options), 'binary');
      if (
        sdk.key !== record.key ||
        !isDeepStrictEqual(sdk.headers, record.headers) ||
        !isDeepStrictEqual(JSON.parse(sdk.value), JSON.parse(record.value))
      ) {
        throw new TributaryError(
          'internal',
          `the relay's binary encoding of event ${entry.id} differs from the CloudEvents SDK's`,
          { retriable: false, details: { sdk: sdk.headers, relay: record.headers } },
        );
      }
      if (checked.size < 10_000 || checked.has(type)) checked.set(type, seen | (1 << extensions));
    }
    return record;
  };
}

/** The binary-mode record, header for header in the order the SDK's binding writes them. */
function binaryRecord(entry: RelayEntry, options: CloudEventOptions): KafkaRecord {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ce_id: entry.id,
    ce_time: timeOf(entry),
    ce_type: cloudEventType(entry, options.typePrefix),
    ce_source: options.source,
    ce_specversion: '1.0',
    ce_datacontenttype: 'application/json',
    ce_subject: entry.aggregateId,
  };
  const dataschema = dataschemaOf(entry, options);
  if (dataschema !== undefined) headers.ce_dataschema = dataschema;
  headers.ce_partitionkey = entry.aggregateId;
  headers.ce_sequence = sequenceOf(entry.streamVersion);
  HEADER_EXTENSIONS.forEach(([header], i) => {
    const value = entry.headers[header];
    if (typeof value === 'string' && value !== '') headers[EXTENSION_HEADERS[i]!] = value;
  });
  return { key: entry.aggregateId, value: entry.payloadJson, headers };
}

function stringHeaders(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    result[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return result;
}

function invalid(message: string, cause?: unknown): TributaryError {
  const details = cause instanceof ValidationError ? { errors: cause.errors } : {};
  return new TributaryError('input.invalid', message, { cause, details });
}
