import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue the shop had before it adopted Tributary: 1,000 products, SKU-00001 … SKU-01000, written by
 * SQL, so no event announces them. They are the pre-existing rows a backfill turns into initial events.
 */
export const SEEDED_PRODUCTS = 1000;

export class SeedCatalogue1764000000001 implements MigrationInterface {
  name = 'SeedCatalogue1764000000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `insert into products (id, sku, name, price_cents, stock)
       select md5('seed-' || n)::uuid, 'SKU-' || lpad(n::text, 5, '0'), 'Product ' || n, 100 + n, 50
       from generate_series(1, $1::int) as n`,
      [SEEDED_PRODUCTS],
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `delete from products where id in (select md5('seed-' || n)::uuid from generate_series(1, $1::int) as n)`,
      [SEEDED_PRODUCTS],
    );
  }
}
