import {
  cloudEventType,
  dataschemaUri,
  DATA_CONTENT_TYPE,
  METADATA_EXTENSIONS,
  SEQUENCE_DIGITS,
  SPEC_VERSION,
} from './cloudevent';
import type { SchemaRegistry, ServedSchema } from './schemas-registry';
import { dlqTopic, topicPerAggregateType } from './topics';

/**
 * The AsyncAPI 3.0 document of the topics, generated from the same schemas the API serves and the relay
 * validates against: one channel per aggregate topic (and per dead-letter topic), one message per event type
 * and version with its CloudEvents headers (binary mode) or envelope (structured mode), the payload schema
 * embedded (and its `dataschema` URI named), the aggregate id as the key, ordering per key.
 */

export interface AsyncApiOptions {
  registry: SchemaRegistry;
  /** TOPIC_PREFIX, CLOUDEVENT_SOURCE, CLOUDEVENT_TYPE_PREFIX, CLOUDEVENT_DATASCHEMA_BASE, CLOUDEVENT_MODE. */
  topicPrefix: string;
  source: string;
  typePrefix: string;
  dataschemaBase: string | undefined;
  mode: 'binary' | 'structured';
  /** Aggregate types whose topics have a `.dlq` the projectors write, with the headers a dead letter adds. */
  deadLetters: { aggregateTypes: readonly string[]; headers: Readonly<Record<string, string>> };
  /** The package version, as the document's version. */
  version: string;
}

type Json = Record<string, unknown>;

const KAFKA_BINDING = '0.5.0';

/** Event type names are global, so `<EventType>_v<N>` names a message and its payload schema. */
const messageId = (served: ServedSchema) => `${served.ref.eventType}_v${served.ref.schemaVersion}`;
/** Channel and operation ids: the aggregate type, and `<aggregate>DeadLetters` for its `.dlq` topic. */
const dlqChannel = (aggregateType: string) => `${aggregateType}DeadLetters`;

/** The document, as a plain object (the API serves it as JSON and YAML). */
export function asyncApiDocument(options: AsyncApiOptions): Json {
  const served = [...options.registry.files.values()];
  const aggregates = [...new Set(served.map((s) => s.ref.aggregateType))].sort();
  const topicOf = topicPerAggregateType(options.topicPrefix);
  const channels: Json = {};
  const operations: Json = {};
  for (const aggregateType of aggregates) {
    const mine = served.filter((s) => s.ref.aggregateType === aggregateType);
    const refs = Object.fromEntries(
      mine.map((s) => [messageId(s), { $ref: `#/components/messages/${messageId(s)}` }]),
    );
    const topic = topicOf({ aggregateType });
    channels[aggregateType] = {
      address: topic,
      title: `${aggregateType} events`,
      description: `Every event of every ${aggregateType}, keyed by the ${aggregateType} id: one ${aggregateType}'s events are in one partition, in stream order (the \`sequence\` attribute). Delivery is at least once: deduplicate by the CloudEvent \`id\`.`,
      messages: refs,
      bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING } },
    };
    operations[`publish_${aggregateType}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${aggregateType}` },
      summary: `The relay publishes ${aggregateType} events from the outbox, in commit order per key.`,
      messages: Object.keys(refs).map((id) => ({ $ref: `#/channels/${aggregateType}/messages/${id}` })),
    };
    if (options.deadLetters.aggregateTypes.includes(aggregateType)) {
      Object.assign(channels, deadLetterChannel(aggregateType, topic, refs));
      operations[`deadLetter_${aggregateType}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${dlqChannel(aggregateType)}` },
        summary: `A projector publishes a ${aggregateType} event it could not apply, with why.`,
        messages: Object.keys(refs).map((id) => ({
          $ref: `#/channels/${dlqChannel(aggregateType)}/messages/${id}`,
        })),
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: info(options),
    defaultContentType: options.mode === 'binary' ? DATA_CONTENT_TYPE : 'application/cloudevents+json',
    channels,
    operations,
    components: components(served, options),
  };
}

function info(options: AsyncApiOptions): Json {
  return {
    title: 'Tributary integration events',
    version: options.version,
    description: [
      `CloudEvents ${SPEC_VERSION} over the Kafka protocol binding, ${options.mode} content mode.`,
      'Each record is one event; the key is the aggregate id (also the `subject` and `partitionkey`), so one',
      "aggregate's events keep their order in one partition. `type` names the event type and schema version",
      `(\`${options.typePrefix}.<aggregate>.<words>.v<N>\`); \`dataschema\` is the URI of the JSON Schema 2020-12 of`,
      'the data, served by the API. A published version never changes: a new shape is a new version.',
    ].join(' '),
  };
}

function deadLetterChannel(aggregateType: string, topic: string, refs: Json): Json {
  const dlq = dlqTopic(topic);
  return {
    [dlqChannel(aggregateType)]: {
      address: dlq,
      title: `${aggregateType} dead letters`,
      description: `Records of ${topic} a projector could not apply: the original key, value and headers, plus the dead-letter headers (see the DeadLetterHeaders schema).`,
      messages: refs,
      bindings: { kafka: { topic: dlq, bindingVersion: KAFKA_BINDING } },
    },
  };
}

function components(served: ServedSchema[], options: AsyncApiOptions): Json {
  const messages: Json = {};
  const schemas: Json = { DeadLetterHeaders: deadLetterHeaders(options.deadLetters.headers) };
  for (const schema of served) {
    const id = messageId(schema);
    const { $schema: _dialect, ...payload } = schema.document;
    schemas[id] = payload;
    messages[id] = message(schema, id, options);
  }
  return { messages, schemas };
}

function message(schema: ServedSchema, id: string, options: AsyncApiOptions): Json {
  const type = cloudEventType(schema.ref, options.typePrefix);
  const dataschema = options.dataschemaBase ? dataschemaUri(schema.ref, options.dataschemaBase) : undefined;
  const attributes = ceAttributes(schema, type, dataschema, options);
  const payloadRef = { $ref: `#/components/schemas/${id}` };
  const common = {
    name: type,
    title: `${schema.ref.eventType} v${schema.ref.schemaVersion}`,
    summary: `${schema.ref.eventType} of a ${schema.ref.aggregateType}, schema version ${schema.ref.schemaVersion}.`,
    ...(dataschema ? { externalDocs: { description: 'The JSON Schema of the data', url: dataschema } } : {}),
    bindings: {
      kafka: {
        key: { type: 'string', description: `The ${schema.ref.aggregateType} id (ordering key).` },
        bindingVersion: KAFKA_BINDING,
      },
    },
  };
  if (options.mode === 'structured') {
    return {
      ...common,
      contentType: 'application/cloudevents+json',
      headers: { type: 'object', properties: { 'content-type': { const: 'application/cloudevents+json' } } },
      payload: {
        type: 'object',
        required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'data'],
        properties: { ...attributes, datacontenttype: { const: DATA_CONTENT_TYPE }, data: payloadRef },
      },
    };
  }
  const headers = Object.fromEntries(Object.entries(attributes).map(([name, s]) => [`ce_${name}`, s]));
  return {
    ...common,
    contentType: DATA_CONTENT_TYPE,
    headers: {
      type: 'object',
      required: ['content-type', 'ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_subject', 'ce_time'],
      properties: { 'content-type': { const: DATA_CONTENT_TYPE }, ...headers },
    },
    payload: payloadRef,
  };
}

/** The CloudEvent attributes of a message: names without the `ce_` prefix, each with its schema. */
function ceAttributes(
  schema: ServedSchema,
  type: string,
  dataschema: string | undefined,
  options: AsyncApiOptions,
) {
  const text = (description: string) => ({ type: 'string', description });
  const extensions = Object.fromEntries(
    METADATA_EXTENSIONS.map(([field, name]) => [name, text(`Event metadata \`${field}\`, when present.`)]),
  );
  return {
    specversion: { const: SPEC_VERSION },
    id: text('The event id: the same on every redelivery; the deduplication key.'),
    source: { const: `${options.source.replace(/\/+$/, '')}/${schema.ref.aggregateType}` },
    type: { const: type },
    subject: text(`The ${schema.ref.aggregateType} id.`),
    time: { type: 'string', format: 'date-time', description: 'When the event occurred.' },
    ...(dataschema ? { dataschema: { const: dataschema } } : {}),
    partitionkey: text('The aggregate id, also the Kafka key.'),
    sequence: {
      type: 'string',
      pattern: `^[0-9]{${SEQUENCE_DIGITS}}$`,
      description: 'The stream version, zero-padded: compare as strings.',
    },
    ...extensions,
  };
}

function deadLetterHeaders(headers: Readonly<Record<string, string>>): Json {
  return {
    type: 'object',
    description: "Headers a dead letter carries next to the original record's own.",
    properties: Object.fromEntries(
      Object.entries(headers).map(([field, name]) => [name, { type: 'string', description: field }]),
    ),
  };
}
