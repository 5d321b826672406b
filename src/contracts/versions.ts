import { orderCreatedV2ToV1 } from '../domain/orders/downcasters';
import { orderSchemaVersions } from '../domain/orders/events';
import { paymentSchemaVersions } from '../domain/payments/events';
import { TributaryError } from '../errors';
import { cloudEventType } from './cloudevent';
import {
  ORDER_AGGREGATE_TYPE,
  orderPayloadUpcasters,
  type IntegrationPayload,
  type PayloadUpcaster,
} from './order-topic';

/**
 * Schema versions as consumers of the topics see them: which event types the topics carry, at which versions,
 * and how the published data (`{ change, state }`) of one version becomes that of another, up (upcasters,
 * kept forever) or down (downcasters, kept for a deprecation window: docs/integrators.md). Pure; the consumer
 * library (`tributary/consumer`) builds `toVersion` on it.
 */

/** Turns the published data of one schema version into that of the version below. Pure. */
export type PayloadDowncaster = (payload: IntegrationPayload) => IntegrationPayload;

/**
 * OrderCreated v2 → v1: the change loses `salesChannel` (the domain downcaster), and so does the state the
 * event carries, as v1 published it: the mirror of orderPayloadUpcasters.
 */
export const orderPayloadDowncasters: Record<string, Record<number, PayloadDowncaster>> = {
  OrderCreated: {
    2: ({ change, state }) => ({ change: orderCreatedV2ToV1(change), state: withoutSalesChannel(state) }),
  },
};

function withoutSalesChannel(state: unknown): unknown {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return state;
  const { salesChannel: _dropped, ...rest } = state as Record<string, unknown>;
  return rest;
}

/** One event type the topics carry, with its version chain. */
export interface PublishedType {
  aggregateType: string;
  /** Domain event type, e.g. `OrderCreated`. */
  eventType: string;
  /** The version the relay publishes new events at. */
  currentVersion: number;
  /** The end of its CloudEvent type after the prefix and before the version, e.g. `.order.created`. */
  typeSuffix: string;
  upcasters: Readonly<Record<number, PayloadUpcaster>>;
  downcasters: Readonly<Record<number, PayloadDowncaster>>;
}

function publishedTypes(
  aggregateType: string,
  versions: Record<string, number>,
  upcasters: Record<string, Record<number, PayloadUpcaster>>,
  downcasters: Record<string, Record<number, PayloadDowncaster>>,
): PublishedType[] {
  return Object.entries(versions).map(([eventType, currentVersion]) => {
    const type = cloudEventType({ aggregateType, eventType, schemaVersion: 1 }, 'x');
    return {
      aggregateType,
      eventType,
      currentVersion,
      typeSuffix: type.slice(1, -'.v1'.length),
      upcasters: upcasters[eventType] ?? {},
      downcasters: downcasters[eventType] ?? {},
    };
  });
}

/** Every event type on the topics: orders and payments. */
export const PUBLISHED_TYPES: readonly PublishedType[] = [
  ...publishedTypes(
    ORDER_AGGREGATE_TYPE,
    orderSchemaVersions,
    orderPayloadUpcasters,
    orderPayloadDowncasters,
  ),
  ...publishedTypes('payment', paymentSchemaVersions, {}, {}),
];

/** A CloudEvent type split into its name and schema version: `io.tributary.order.created.v2` → (…created, 2). */
export function splitCloudEventType(type: string): { typeName: string; schemaVersion: number } {
  const match = /^(.+)\.v([1-9][0-9]{0,8})$/.exec(type);
  if (match === null) {
    throw new TributaryError(
      'input.invalid',
      `CloudEvent type '${type}' does not end in a schema version (.v<N>, e.g. io.tributary.order.created.v2)`,
      { details: { type } },
    );
  }
  return { typeName: match[1]!, schemaVersion: Number(match[2]) };
}

/** The published type a CloudEvent type name (without version) stands for, whatever its prefix. */
export function publishedTypeOf(
  typeName: string,
  known: readonly PublishedType[] = PUBLISHED_TYPES,
): PublishedType | undefined {
  const matches = known.filter(
    (entry) => typeName.endsWith(entry.typeSuffix) && typeName.length > entry.typeSuffix.length,
  );
  return matches.sort((a, b) => b.typeSuffix.length - a.typeSuffix.length)[0];
}

/**
 * Converts published data of `known` from version `from` to version `to`, up or down one step at a time.
 * Throws `input.invalid` when either version is beyond the current one (a newer deployment's: upgrade the
 * library) or a step is missing (a version out of its deprecation window).
 */
export function convertPayload(
  known: PublishedType,
  from: number,
  to: number,
  payload: IntegrationPayload,
): IntegrationPayload {
  const { eventType, currentVersion } = known;
  const details = { eventType, from, to, currentVersion };
  for (const version of [from, to]) {
    if (!Number.isSafeInteger(version) || version < 1 || version > currentVersion) {
      throw new TributaryError(
        'input.invalid',
        `${eventType} v${version} is not a version this library knows (v1 to v${currentVersion}): a newer release of tributary may know it`,
        { details },
      );
    }
  }
  let converted = payload;
  for (let version = from; version < to; version++) {
    converted = step(
      known.upcasters,
      version,
      'upcaster',
      `v${version} to v${version + 1}`,
      details,
    )(converted);
  }
  for (let version = from; version > to; version--) {
    converted = step(
      known.downcasters,
      version,
      'downcaster',
      `v${version} to v${version - 1}`,
      details,
    )(converted);
  }
  return converted;
}

function step<F>(
  steps: Readonly<Record<number, F>>,
  version: number,
  kind: 'upcaster' | 'downcaster',
  what: string,
  details: { eventType: string; from: number; to: number },
): F {
  const found = Object.hasOwn(steps, version) ? steps[version] : undefined;
  if (found !== undefined) return found;
  const why =
    kind === 'downcaster'
      ? `: v${details.to} is past its deprecation window, read v${version} (docs/integrators.md)`
      : '';
  throw new TributaryError('input.invalid', `${details.eventType} has no ${kind} from ${what}${why}`, {
    details: { ...details, missingFrom: version },
  });
}
