import 'reflect-metadata';
// #region docs:data-source
import { DataSource } from 'typeorm';
import { migrations as tributaryMigrations, outboxSubscriberClass } from 'tributary/typeorm';
import { Product } from './entities/product.entity';
import { Purchase } from './entities/purchase.entity';
import { ShopTables1764000000000 } from './migrations/1764000000000-ShopTables';
import { SeedCatalogue1764000000001 } from './migrations/1764000000001-SeedCatalogue';
import { productEvents } from './product-events';
import { config, store } from './tributary';

/** The shop's one DataSource: `npm run migrate` (TypeORM's CLI) runs its migrations, Tributary's first. */
export const dataSource = new DataSource({
  type: 'postgres',
  url: config.databaseUrl,
  entities: [Product, Purchase],
  migrations: [...tributaryMigrations, ShopTables1764000000000, SeedCatalogue1764000000001],
  subscribers: [outboxSubscriberClass({ store, entities: [productEvents] })],
});
// #endregion
