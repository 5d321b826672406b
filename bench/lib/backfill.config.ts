import { Pool } from 'pg';
import { createEventStoreFor } from '../../src/commands';
import { loadConfig } from '../../src/config';
import type { CrudConfig } from '../../src/crud';
import { Customer } from '../../src/crud/example/customer.entity';
import { createDataSource } from '../../src/db/data-source';
import { withSessionOptions } from '../../src/db/pool';

/** The `--config` module of bench/backfill.ts: the example entity, on the bench database (DATABASE_URL). */
const config = loadConfig();
const pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 2 });

const crudConfig: CrudConfig = {
  dataSource: createDataSource(config, [Customer]),
  store: createEventStoreFor(config, pool),
  entities: [{ target: Customer, aggregateType: 'customer' }],
};
export default crudConfig;
