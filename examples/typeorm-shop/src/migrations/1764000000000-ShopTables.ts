import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shop's own tables, as they were before it adopted Tributary. The check on `stock` is the shop's rule
 * that nothing sells what is not in stock (purchases.ts counts on it).
 */
export class ShopTables1764000000000 implements MigrationInterface {
  name = 'ShopTables1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table products (
        id          uuid primary key,
        sku         text not null unique,
        name        text not null,
        price_cents integer not null,
        stock       integer not null check (stock >= 0)
      )`);
    await runner.query(`
      create table purchases (
        id             uuid primary key,
        customer_email text not null,
        lines          jsonb not null,
        total_cents    integer not null,
        made_at        timestamptz not null
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table purchases`);
    await runner.query(`drop table products`);
  }
}
