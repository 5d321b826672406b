import { orderCreatedV1ToV2 } from '../domain/orders/upcasters';
import { orderSchemaVersions } from '../domain/orders/events';
import { TributaryError } from '../errors';
import { cloudEventType } from './cloudevent';
import { topicPerAggregateType } from './topics';

/** The aggregate type of orders: the `order` of their topic and of their CloudEvent types. */
export const ORDER_AGGREGATE_TYPE = 'order';

/** The order topic, named as the relay routes order events by default: `${topicPrefix}order`. */
export function orderTopic(settings: { topicPrefix: string }): string {
  return topicPerAggregateType(settings.topicPrefix)({ aggregateType: ORDER_AGGREGATE_TYPE });
}

/**
 * What the consuming side knows of the integration events it reads: for each CloudEvent type of the order
 * topic, the domain event type and schema version it names, and how to bring an older version's payload
 * (`{ change, state }`) to the current one. A newer version than this table knows is never guessed at: the
 * runtime parks it until a deployment that knows it replays it.
 */

/** Turns the integration payload of one schema version into that of the next. Pure. */
export type PayloadUpcaster = (payload: IntegrationPayload) => IntegrationPayload;

/** The payload the relay publishes for an order event (event-carried state transfer). */
export interface IntegrationPayload {
  change: unknown;
  state: unknown;
}

export interface KnownType {
  /** Domain event type, e.g. `OrderCreated`. */
  eventType: string;
  /** The schema version this CloudEvent type carries. */
  schemaVersion: number;
  /** The version projections are written against. */
  currentVersion: number;
}

export interface ConsumerContracts {
  /** The known type of a CloudEvent type, or undefined for a type this deployment does not know. */
  lookup(cloudEventType: string): KnownType | undefined;
  /** Brings a payload of `known.schemaVersion` to `known.currentVersion`. */
  upcast(known: KnownType, payload: IntegrationPayload): IntegrationPayload;
}

/** Per domain event type, the payload upcaster from each version to the next. */
export type PayloadUpcasters = Record<string, Record<number, PayloadUpcaster>>;

/**
 * OrderCreated v1 → v2: the change gains `salesChannel` (the domain upcaster), and so does the state the
 * event carried, with the same default, so a v1 event folds to the same document as its upcast twin.
 */
export const orderPayloadUpcasters: PayloadUpcasters = {
  OrderCreated: {
    1: ({ change, state }) => ({
      change: orderCreatedV1ToV2(change),
      state:
        typeof state === 'object' && state !== null && !('salesChannel' in state)
          ? { ...state, salesChannel: 'web' }
          : state,
    }),
  },
};

/**
 * The contracts of the order topic: every order event type at every version from 1 to its current one,
 * named as the relay names them (`<typePrefix>.order.<words>.v<n>`).
 */
export function orderContracts(
  typePrefix: string,
  currentVersions: Record<string, number> = orderSchemaVersions,
  upcasters: PayloadUpcasters = orderPayloadUpcasters,
): ConsumerContracts {
  const known = new Map<string, KnownType>();
  for (const [eventType, currentVersion] of Object.entries(currentVersions)) {
    for (let version = 1; version <= currentVersion; version++) {
      const type = cloudEventType(
        { aggregateType: ORDER_AGGREGATE_TYPE, eventType, schemaVersion: version },
        typePrefix,
      );
      known.set(type, { eventType, schemaVersion: version, currentVersion });
    }
  }
  return {
    lookup: (type) => known.get(type),
    upcast(type, payload) {
      let current = payload;
      for (let version = type.schemaVersion; version < type.currentVersion; version++) {
        const step = upcasters[type.eventType]?.[version];
        if (step === undefined) {
          throw new TributaryError(
            'input.invalid',
            `no upcaster for ${type.eventType} from schema version ${version} to ${version + 1}`,
          );
        }
        current = step(current);
      }
      return current;
    },
  };
}
