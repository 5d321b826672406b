import { inventorySchemaVersions } from './inventory/events';
import { orderSchemaVersions } from './orders/events';
import { orderUpcasters } from './orders/upcasters';
import { paymentSchemaVersions } from './payments/events';
import { mergeByEventType, type SchemaVersions, type UpcasterChain } from './upcasting';

/**
 * The registries the event store applies on read, over every aggregate of the domain. A new
 * aggregate or a new event version registers here and in its own folder, nowhere else.
 */

/** The schema version `decide` writes today, for every domain event type. */
export const currentSchemaVersions: SchemaVersions = mergeByEventType<number>(
  orderSchemaVersions,
  paymentSchemaVersions,
  inventorySchemaVersions,
);

/** Every upcaster of the domain, by event type and version it starts from. */
export const upcasters: UpcasterChain = mergeByEventType(orderUpcasters);
