import { CloudEvent, Kafka, ValidationError } from 'cloudevents';
import { splitCloudEventType } from '../contracts/versions';
import { TributaryError } from '../errors';

/**
 * Kafka record → typed CloudEvent, for consumers of the topics (`tributary/consumer`). Both content modes of
 * the CloudEvents Kafka protocol binding go through the SDK's binding and its validation: binary (attributes
 * in `ce_*` headers, the data as the value: what the relay writes by default) and structured (the whole event
 * as an `application/cloudevents+json` value). Batch mode is refused: the relay never writes it.
 */

/** A Kafka header value as clients hand it out (kafkajs: Buffer; some: string; repeated: an array). */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The parts of a Kafka record decoding reads: kafkajs's `KafkaMessage` is one. */
export interface KafkaRecordLike {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, KafkaHeaderValue>;
}

/** A Tributary CloudEvent, its attributes checked and its JSON data parsed. */
export interface TributaryCloudEvent<T = unknown> {
  readonly specversion: string;
  /** The event id: the same on every redelivery, the deduplication key. */
  readonly id: string;
  /** `<CLOUDEVENT_SOURCE>/<aggregate type>`, e.g. `/tributary/order`. */
  readonly source: string;
  /** `<prefix>.<aggregate>.<event words>.v<N>`, e.g. `io.tributary.order.created.v2`. */
  readonly type: string;
  /** The aggregate id; also the record key and `partitionkey`. */
  readonly subject: string;
  /** When the event occurred (RFC 3339), the same on every redelivery. */
  readonly time?: string;
  readonly datacontenttype?: string;
  /** The JSON Schema of the data at this version, when the deployment publishes one. */
  readonly dataschema?: string;
  /** The aggregate's stream version, 20 zero-padded digits: compare as strings or as numbers. */
  readonly sequence: string;
  readonly partitionkey?: string;
  /** `type` without its version suffix, e.g. `io.tributary.order.created`. */
  readonly typeName: string;
  /** The schema version `type` names. */
  readonly schemaVersion: number;
  /** The other extensions: `correlationid`, `causationid`, `actor`, `traceparent` when set. */
  readonly extensions: Readonly<Record<string, string>>;
  readonly data: T;
}

const ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'sequence',
  'partitionkey',
  'data',
  'data_base64',
]);
const SEQUENCE = /^[0-9]{1,20}$/;

/**
 * Decodes a Kafka record the relay published into a `TributaryCloudEvent`. Throws `input.invalid` with the
 * reason when the record is not one (a tombstone, no CloudEvent headers or content type, a batch, an invalid
 * CloudEvent, no subject or sequence, a key other than the subject, data that is not JSON): a consumer
 * dead-letters such a record.
 */
export function decodeCloudEvent(record: KafkaRecordLike): TributaryCloudEvent {
  if (record.value === null || record.value === undefined) {
    throw invalid('the record has no value (a tombstone is not a CloudEvent)');
  }
  const headers = stringHeaders(record.headers ?? {});
  const contentType = headers['content-type'] ?? '';
  if (contentType.startsWith('application/cloudevents-batch')) {
    throw invalid('a batch of CloudEvents is not produced on these topics');
  }
  if (headers.ce_id === undefined && !contentType.startsWith('application/cloudevents')) {
    throw invalid('neither ce_* headers (binary mode) nor an application/cloudevents content type');
  }
  const value = Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value);
  const key = record.key === null || record.key === undefined ? undefined : String(record.key);
  let event: CloudEvent<unknown>;
  try {
    event = Kafka.toEvent({ key, value, body: value, headers } as never) as CloudEvent<unknown>;
    event.validate();
  } catch (error) {
    // The SDK parses JSON data itself, in binary mode too: its SyntaxError is about the data.
    const what = error instanceof SyntaxError ? 'the data is not JSON' : 'not a valid CloudEvent';
    throw invalid(`${what}: ${describe(error)}`, error);
  }
  const decoded = typed(event);
  // The key is the aggregate id: a record keyed otherwise would land in another aggregate's partition order.
  if (key !== undefined && key !== decoded.subject) {
    throw invalid(`the record key '${key}' is not the subject '${decoded.subject}' of event ${decoded.id}`);
  }
  return decoded;
}

function typed(event: CloudEvent<unknown>): TributaryCloudEvent {
  const attributes = event.toJSON() as Record<string, unknown>;
  const subject = attributes.subject;
  const sequence = attributes.sequence;
  if (typeof subject !== 'string' || subject === '') {
    throw invalid(`event ${event.id} has no subject (the aggregate id)`);
  }
  if (typeof sequence !== 'string' || !SEQUENCE.test(sequence)) {
    throw invalid(`event ${event.id} has no sequence extension of digits (got '${String(sequence)}')`);
  }
  const { typeName, schemaVersion } = splitCloudEventType(event.type);
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!ATTRIBUTES.has(name) && value !== undefined) extensions[name] = String(value);
  }
  const optional = (name: string) => (typeof attributes[name] === 'string' ? attributes[name] : undefined);
  return {
    specversion: event.specversion,
    id: event.id,
    source: event.source,
    type: event.type,
    subject,
    time: optional('time'),
    datacontenttype: optional('datacontenttype'),
    dataschema: optional('dataschema'),
    sequence,
    partitionkey: optional('partitionkey'),
    typeName,
    schemaVersion,
    extensions,
    data: jsonData(event),
  };
}

/** The event's data as JSON: the SDK hands binary-mode data over as text or bytes. */
function jsonData(event: CloudEvent<unknown>): unknown {
  const data = event.data;
  if (data === undefined) throw invalid(`event ${event.id} has no data`);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) return data;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (error) {
    throw invalid(`the data of event ${event.id} is not JSON: ${describe(error)}`, error);
  }
}

function stringHeaders(headers: Record<string, KafkaHeaderValue>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return result;
}

function describe(error: unknown): string {
  if (error instanceof ValidationError) {
    const details = (error.errors ?? []).map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    return details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function invalid(message: string, cause?: unknown): TributaryError {
  return new TributaryError('input.invalid', message, { cause });
}
