export { withStateAfter, toOutboxEntry } from './mapping';
export { writeOutbox } from './write';
export { pruneOutbox } from './retention';
export type { PruneOptions, PruneResult } from './retention';
export { OUTBOX_MESSAGE_PREFIX } from './types';
export type { IntegrationEvent, IntegrationMapping, OutboxEntry, OutboxMode } from './types';
