import type { OrderView } from '../domain/orders/view';

/**
 * The contract between the projector runtime and the read models it feeds.
 *
 * The runtime consumes the relay's CloudEvents from Kafka, decodes and upcasts them, parks poison events
 * in the dead-letter topic, and hands every other event, in Kafka order, to a projection. A projection
 * only writes its read model: it never commits offsets, never dead-letters, never retries on its own.
 */

/** Where a consumed event came from on Kafka. */
export interface KafkaPosition {
  readonly topic: string;
  readonly partition: number;
  /** The offset as kafkajs gives it (a decimal string). */
  readonly offset: string;
}

/**
 * One integration event of an order, decoded from its CloudEvent and upcast to the current schema version.
 * Events carry the order's state after the change (event-carried state transfer), so a read model can be
 * written whole, without history.
 */
export interface ProjectionEvent {
  /** The CloudEvent id = the event id in the store; the deduplication key. */
  readonly id: string;
  /** Domain event type, e.g. `OrderCreated`. */
  readonly type: string;
  /** Schema version after upcasting (the current one). */
  readonly schemaVersion: number;
  /** The aggregate's id (CloudEvent subject and partition key). */
  readonly aggregateId: string;
  /** Stream version of this event (CloudEvent `sequence`); 1 for the first event of an order. */
  readonly version: number;
  /** Business time of the event (CloudEvent `time`), ISO 8601. */
  readonly time: string;
  /** The change itself (the domain event's data, upcast). */
  readonly change: unknown;
  /** The order after this event. `state.version === version`. */
  readonly state: OrderView;
  readonly position: KafkaPosition;
}

/**
 * A read model fed by the runtime.
 *
 * `apply` receives events in Kafka order (per aggregate: stream-version order, but Kafka may redeliver
 * duplicates, and older copies may arrive after newer ones). It must be idempotent: an event already
 * applied, or older than what the read model already holds for its aggregate, changes nothing.
 *
 * It throws a TributaryError when it cannot apply: a retriable one (infrastructure unavailable, overload)
 * makes the runtime retry the same events with backoff and commit no offset meanwhile; any other makes the
 * runtime apply the events one at a time to find the poison event, which it dead-letters.
 */
export interface Projection {
  /** Stable name: the consumer group suffix, the key of its checkpoints and dead letters. */
  readonly name: string;
  apply(events: readonly ProjectionEvent[]): Promise<void>;
}

/** How fresh a read model is; every query response carries it. */
export interface Freshness {
  /** Business time of the newest event applied, or null before the first. */
  readonly lastEventAt: string | null;
  /** When the projector last applied a batch, or null before the first. */
  readonly lastAppliedAt: string | null;
  /** Messages on Kafka not yet applied, as of the last batch (sum over partitions). */
  readonly lagMessages: number | null;
  /** 0 when caught up; otherwise milliseconds between the newest applied event's time and now; null before the first event. */
  readonly lagMs: number | null;
}
