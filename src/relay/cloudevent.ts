import { isDeepStrictEqual } from 'node:util';
import { CloudEvent, Kafka, ValidationError, type Headers } from 'cloudevents';
import type { Message } from 'kafkajs';
import {
  cloudEventType,
  DATA_CONTENT_TYPE,
  dataschemaUri,
  KAFKA_HEADER_PREFIX,
  METADATA_EXTENSIONS,
  sequenceOf,
  SPEC_VERSION,
} from '../contracts';
import { TributaryError } from '../errors';
import type { OutboxEntry } from '../outbox/types';
import { withParsedPayload, type RelayEntry } from './transaction-buffer';

/**
 * Outbox entry → CloudEvent (spec 1.0) → Kafka message: the encoding of the wire contract whose names, types
 * and attribute rules are in src/contracts.
 *
 * The id is the event id, so it stays the same across redeliveries and is the consumers' deduplication key.
 * The message key is the aggregate id, so all events of an aggregate land in one partition, in order.
 */

export interface CloudEventOptions {
  /** URI-reference of the producing service, e.g. `/tributary`; each aggregate type has `<source>/<type>`. */
  source: string;
  /** Reverse-DNS prefix of event types, e.g. `io.tributary`. */
  typePrefix: string;
  /** Absolute base URI of the JSON Schemas; without it, events carry no `dataschema`. */
  dataschemaBase?: string;
}

/** The Kafka header of each metadata extension in binary mode. */
const EXTENSION_HEADERS = METADATA_EXTENSIONS.map(([, extension]) => `${KAFKA_HEADER_PREFIX}${extension}`);

/** Builds the CloudEvent of an outbox entry. Throws `input.invalid` when the entry cannot make a valid one. */
export function toCloudEvent(entry: OutboxEntry, options: CloudEventOptions): CloudEvent<unknown> {
  const attributes: Record<string, unknown> = {
    specversion: SPEC_VERSION,
    id: entry.id,
    source: sourceOf(entry, options),
    type: cloudEventType(entry, options.typePrefix),
    subject: entry.aggregateId,
    time: timeOf(entry),
    datacontenttype: DATA_CONTENT_TYPE,
    partitionkey: entry.aggregateId,
    sequence: sequenceOf(entry.streamVersion),
    data: entry.payload,
  };
  const dataschema = dataschemaOf(entry, options);
  if (dataschema !== undefined) attributes.dataschema = dataschema;
  for (const [header, extension] of METADATA_EXTENSIONS) {
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

/** Each aggregate type is its own source: `<CLOUDEVENT_SOURCE>/<aggregate type>`, e.g. `/tributary/payment`. */
function sourceOf(entry: Pick<OutboxEntry, 'aggregateType'>, options: CloudEventOptions): string {
  return `${options.source.replace(/\/+$/, '')}/${entry.aggregateType}`;
}

function dataschemaOf(
  entry: Pick<OutboxEntry, 'aggregateType' | 'eventType' | 'schemaVersion'>,
  options: CloudEventOptions,
): string | undefined {
  return options.dataschemaBase === undefined ? undefined : dataschemaUri(entry, options.dataschemaBase);
}

/** Binary: attributes in `ce_*` headers, data as the value (the default). Structured: the whole event as JSON. */
export type KafkaContentMode = 'binary' | 'structured';

/** A kafkajs message with everything set: key, a string value, string headers. */
export type KafkaRecord = Message & { key: string; value: string; headers: Record<string, string> };

/**
 * Encodes a CloudEvent with JSON data as a Kafka message, through the SDK's Kafka protocol binding.
 *
 * The SDK's binary message leaves the value unserialized and may carry undefined headers; kafkajs needs
 * strings or Buffers, so both are fixed here. Binary mode carries `content-type` and no `ce_datacontenttype`
 * (the binding maps the attribute to that header alone); structured mode carries
 * `application/cloudevents+json`. Batch mode is not produced: each record is one event. No Kafka timestamp is set: the producer stamps the send time,
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
  const headers = stringHeaders(message.headers);
  // The Kafka protocol binding maps `datacontenttype` to `content-type` alone; the SDK writes it twice.
  if (mode === 'binary') delete headers.ce_datacontenttype;
  return { key: event.partitionkey, value, headers };
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
    'content-type': DATA_CONTENT_TYPE,
    ce_id: entry.id,
    ce_time: timeOf(entry),
    ce_type: cloudEventType(entry, options.typePrefix),
    ce_source: sourceOf(entry, options),
    ce_specversion: SPEC_VERSION,
    ce_subject: entry.aggregateId,
  };
  const dataschema = dataschemaOf(entry, options);
  if (dataschema !== undefined) headers.ce_dataschema = dataschema;
  headers.ce_partitionkey = entry.aggregateId;
  headers.ce_sequence = sequenceOf(entry.streamVersion);
  METADATA_EXTENSIONS.forEach(([header], i) => {
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
