import type { OutboxEntry } from '../outbox/types';

/**
 * Which Kafka topic an outbox entry goes to: an extension point as a plain function. The default is
 * the contract's `topicPerAggregateType` (src/contracts).
 *
 * Whatever the router, the message key stays the aggregate id: a router must send all events of one aggregate
 * to the same topic, or their order across topics is lost.
 */
export type TopicRouter = (entry: Omit<OutboxEntry, 'payload'>) => string;
