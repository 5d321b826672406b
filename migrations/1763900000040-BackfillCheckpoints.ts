import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The backfill's checkpoints (`tributary crud backfill`, src/crud/backfill.ts): per entity, the primary key of
 * the last row the current pass handled (`last_key`, the primary column values as a JSON array) and its
 * counts. Each chunk moves it in the transaction that imports the chunk's rows; `finished_at` marks a pass
 * that reached the end of the table (a later run starts a new one).
 */
export class BackfillCheckpoints1763900000040 implements MigrationInterface {
  name = 'BackfillCheckpoints1763900000040';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table backfill_checkpoints (
        entity        text primary key,
        stream_type   text not null,
        last_key      jsonb,
        rows_seen     bigint not null default 0,
        rows_imported bigint not null default 0,
        started_at    timestamptz not null default now(),
        updated_at    timestamptz not null default now(),
        finished_at   timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table backfill_checkpoints`);
  }
}
