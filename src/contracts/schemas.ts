import { createHash } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { orderSchemaVersions } from '../domain/orders/events';
import { paymentSchemaVersions } from '../domain/payments/events';
import { inventorySchemaVersions } from '../domain/inventory/events';
import { TributaryError } from '../errors';
import { ORDER_AGGREGATE_TYPE, orderPayloadUpcasters, type PayloadUpcasters } from './order-topic';

/**
 * The JSON Schemas (2020-12) of the integration events: one per aggregate type, event type and schema
 * version, kept in schemas/<aggregate>/<EventType>/v<N>.json and served at `<CLOUDEVENT_DATASCHEMA_BASE>/…`
 * under the same path, which every CloudEvent names in `dataschema`. Each describes the CloudEvent `data`
 * (`{ change, state }`). A published version never changes (schemas/published.lock.json, `tributary schemas
 * check`); a change of shape is a new version, with an upcaster from the previous one.
 *
 * Pure: the documents are read from disk by the caller (the CLI) and handed to `createSchemaRegistry`.
 */

/** The JSON Schema dialect of every schema. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** The media type the schemas are served as. */
export const SCHEMA_MEDIA_TYPE = 'application/schema+json';
/** The payment aggregate type: the `payment` of its topic and CloudEvent types. */
export const PAYMENT_AGGREGATE_TYPE = 'payment';
/** The inventory aggregate type: stock per SKU. */
export const INVENTORY_AGGREGATE_TYPE = 'inventory';

/** One published event type: its aggregate type, name, the version written today and its TS payload type. */
export interface EventContract {
  aggregateType: string;
  eventType: string;
  currentVersion: number;
  /** The type in src/contracts/schemas-payloads.ts the current version's schema is generated from. */
  payloadType: string;
}

/** Names one schema: aggregate type, event type, version. */
export interface SchemaRef {
  aggregateType: string;
  eventType: string;
  schemaVersion: number;
}

function contractsOf(aggregateType: string, versions: Record<string, number>): EventContract[] {
  return Object.entries(versions).map(([eventType, currentVersion]) => ({
    aggregateType,
    eventType,
    currentVersion,
    payloadType: `${eventType}Payload`,
  }));
}

/** Every event type the relay publishes from the domain. */
export const EVENT_CONTRACTS: readonly EventContract[] = [
  ...contractsOf(ORDER_AGGREGATE_TYPE, orderSchemaVersions),
  ...contractsOf(PAYMENT_AGGREGATE_TYPE, paymentSchemaVersions),
  ...contractsOf(INVENTORY_AGGREGATE_TYPE, inventorySchemaVersions),
];

/** How a payload of each older version reaches the next, per event type (what consumers apply too). */
export const PAYLOAD_UPCASTERS: PayloadUpcasters = { ...orderPayloadUpcasters };

/** Every version of every contract, oldest first: the schemas that must exist. */
export function schemaRefsOf(contracts: readonly EventContract[] = EVENT_CONTRACTS): SchemaRef[] {
  return contracts.flatMap(({ aggregateType, eventType, currentVersion }) =>
    Array.from({ length: currentVersion }, (_, i) => ({ aggregateType, eventType, schemaVersion: i + 1 })),
  );
}

/** The path of a schema under schemas/ and under the served base: `<aggregate>/<EventType>/v<N>.json`. */
export function schemaFile(ref: SchemaRef): string {
  return `${ref.aggregateType}/${ref.eventType}/v${ref.schemaVersion}.json`;
}

const FILE = /^([a-z0-9_-]+)\/([A-Za-z0-9]+)\/v([1-9][0-9]{0,5})\.json$/;

/** The ref a schema path names, or undefined for a path that is not `<aggregate>/<EventType>/v<N>.json`. */
export function parseSchemaFile(file: string): SchemaRef | undefined {
  const match = FILE.exec(file);
  if (!match) return undefined;
  return { aggregateType: match[1]!, eventType: match[2]!, schemaVersion: Number(match[3]) };
}

/** A JSON Schema document, as parsed. */
export type SchemaDocument = Record<string, unknown>;

/** Keys sorted at every level: equal documents give equal text, whatever their files' formatting. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content hash of a schema (of its canonical JSON), as the lock file records it: `sha256:<hex>`. */
export function schemaHash(document: SchemaDocument): string {
  return `sha256:${createHash('sha256').update(canonicalJson(document)).digest('hex')}`;
}

/** The text a schema is served as: two-space JSON with a final newline. */
export function schemaText(document: SchemaDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A new Ajv for JSON Schema 2020-12 with the standard formats (date-time, email, uri, …). */
export function newValidator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** The errors of a validation in one line: `/change/lines/0/quantity must be integer; …`. */
export function describeErrors(ajv: Ajv2020, errors: Parameters<Ajv2020['errorsText']>[0]): string {
  return ajv.errorsText(errors, { dataVar: '', separator: '; ' });
}

/**
 * The schema document of `ref` from the schema ts-json-schema-generator made of its payload type: the
 * 2020-12 dialect, a title, and a description that says what the data is.
 */
export function schemaDocumentOf(ref: SchemaRef, generated: SchemaDocument): SchemaDocument {
  const { $schema: _dialect, description: _description, definitions, ...body } = generated;
  if (typeof definitions === 'object' && definitions !== null && Object.keys(definitions).length > 0) {
    throw new TributaryError(
      'internal',
      `the schema of ${ref.eventType} has definitions: generate it inlined`,
    );
  }
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title: `${ref.aggregateType} ${ref.eventType} v${ref.schemaVersion}`,
    description: `The data of the CloudEvents of ${ref.eventType}, schema version ${ref.schemaVersion}: the change (the domain event's data) and the ${ref.aggregateType} after it (state).`,
    ...body,
  };
}
