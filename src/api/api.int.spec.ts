import { Pool } from 'pg';
import { isolate, Isolated } from '../../test/harness';
import { createEventStoreFor, createOrderService } from '../commands';
import { migrate } from '../db/data-source';
import { describeOrderApiContract } from '../../test/api';
import { withSessionOptions } from '../db/pool';

/**
 * The same HTTP contract the unit tests run against the in-memory fake, here against the real command side on
 * PostgreSQL: every error case gets the right status and a problem+json body, a stale If-Match gets 409, an
 * Idempotency-Key retry appends nothing twice.
 */
describe('the HTTP API over the PostgreSQL event store', () => {
  let env: Isolated;
  let pool: Pool;
  afterAll(async () => {
    await pool?.end();
    await env?.cleanup();
  });

  describeOrderApiContract(async () => {
    env = await isolate(__filename);
    await migrate(env.config);
    pool = new Pool({ connectionString: withSessionOptions(env.config.databaseUrl), max: 10 });
    return createOrderService(env.config, createEventStoreFor(env.config, pool));
  });
});
