import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** Entity classes (or schemas) of the app that shares the database. */
type EntityList = NonNullable<DataSourceOptions['entities']>;
import { MIGRATIONS } from '../../migrations';
import type { Config } from '../config';

/**
 * The TypeORM data source: migrations from `migrations/`, and the entities of the CRUD example. Schema
 * changes only ever happen through reviewed migrations (never `synchronize`).
 */
export function createDataSource(config: Config, entities: EntityList = []): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  });
}

/** Runs every pending migration; returns the names of those that ran. */
export async function migrate(config: Config, entities: EntityList = []): Promise<string[]> {
  const source = createDataSource(config, entities);
  await source.initialize();
  try {
    const ran = await source.runMigrations({ transaction: 'each' });
    return ran.map((migration) => migration.name);
  } finally {
    await source.destroy();
  }
}
