import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service API keys of the HTTP API (src/auth/api-keys.ts). A key is shown once, when it is created; the
 * table keeps its prefix (to find it, and to name it in `auth api-key list`) and the SHA-256 of the whole
 * key. Keys are 32 random bytes, so a fast hash is enough: there is nothing to guess a dictionary from.
 * A key is revoked, never deleted, so the actor `apikey:<client_id>` in old events still names a known
 * client. A key with the customer role names the one customer it acts for, and only such a key does.
 */
export class ApiKeys1763900000010 implements MigrationInterface {
  name = 'ApiKeys1763900000010';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table api_keys (
        id          uuid primary key,
        client_id   text not null check (client_id ~ '^[A-Za-z0-9._:-]{1,100}$'),
        prefix      text collate "C" not null unique,
        secret_hash bytea not null check (length(secret_hash) = 32),
        roles       text[] not null
                    check (cardinality(roles) > 0
                           and roles <@ array['customer', 'support', 'finance', 'admin']::text[]),
        customer_id text check (customer_id <> ''),
        created_at  timestamptz not null default now(),
        revoked_at  timestamptz,
        check ((customer_id is not null) = ('customer' = any (roles)))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table api_keys`);
  }
}
