import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The table of the CRUD example entity (`src/crud/example/customer.entity.ts`). It must match the entity
 * exactly, constraint names included: `src/crud/schema-drift.int.spec.ts` fails otherwise.
 */
export class CrudExample1763900000001 implements MigrationInterface {
  name = 'CrudExample1763900000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table crud_customers (
        id         uuid not null,
        name       text not null,
        email      text not null,
        tier       text not null default 'standard',
        updated_at timestamptz not null default now(),
        constraint crud_customers_pkey primary key (id),
        constraint crud_customers_email_key unique (email)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table crud_customers`);
  }
}
