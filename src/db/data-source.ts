import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** Entity classes (or schemas) of the app that shares the database. */
type EntityList = NonNullable<DataSourceOptions['entities']>;
import { MIGRATIONS } from '../../migrations';
import { databaseOf, type Config } from '../config';

/**
 * The TypeORM data source: migrations from `migrations/`, and the entities of the CRUD example. Schema
 * changes only ever happen through reviewed migrations (never `synchronize`). `url` defaults to
 * DATABASE_URL (a CRUD app's connection); migrations run on the owner's (MIGRATE_DATABASE_URL).
 */
export function createDataSource(
  config: Config,
  entities: EntityList = [],
  url: string = config.databaseUrl,
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  });
}

/** Runs every pending migration as the owner; returns the names of those that ran. */
export async function migrate(config: Config, entities: EntityList = []): Promise<string[]> {
  const source = createDataSource(config, entities, databaseOf(config, 'migrate').url);
  await source.initialize();
  try {
    const ran = await source.runMigrations({ transaction: 'each' });
    return ran.map((migration) => migration.name);
  } finally {
    await source.destroy();
  }
}
