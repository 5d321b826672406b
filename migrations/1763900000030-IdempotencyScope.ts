import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys are scoped by who sent them and where (the IETF Idempotency-Key draft): the key of one
 * principal never answers another principal's request, nor a request to another endpoint. `principal` is the
 * authenticated caller's id, `route` the method and path of the request; both are empty for commands that
 * come through the library without an HTTP caller. Keys expire after IDEMPOTENCY_KEY_TTL; the index on
 * `created_at` serves the API's cleanup job, which deletes expired keys in small batches.
 */
export class IdempotencyScope1763900000030 implements MigrationInterface {
  name = 'IdempotencyScope1763900000030';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      alter table idempotency_keys
        add column principal text not null default '',
        add column route     text not null default '',
        drop constraint idempotency_keys_pkey,
        add primary key (principal, route, key)`);
    await runner.query(`create index idempotency_keys_created_at on idempotency_keys (created_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop index idempotency_keys_created_at`);
    await runner.query(`
      alter table idempotency_keys
        drop constraint idempotency_keys_pkey,
        drop column principal,
        drop column route,
        add primary key (key)`);
  }
}
