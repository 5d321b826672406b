// #region docs:store
import { Pool } from 'pg';
import { createEventStoreFor, loadConfig } from 'tributary';

/** Tributary's settings, read from the environment (shop.env): DATABASE_URL, OUTBOX_MODE, … */
export const config = loadConfig();

/**
 * The event store. `appendWithin` and the entity subscriber write through the transaction of the entity
 * manager they are given; this small pool serves the store's own reads (GET /products/:id/events).
 */
export const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
export const store = createEventStoreFor(config, pool);
// #endregion
