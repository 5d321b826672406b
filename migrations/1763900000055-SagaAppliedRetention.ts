import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The saga keeps the ids of the order events it consumed for SAGA_APPLIED_RETENTION_MS, then deletes them
 * (src/saga/sql/applied.ts): an index on the time each was applied finds the old ones without a scan.
 */
export class SagaAppliedRetention1763900000055 implements MigrationInterface {
  name = 'SagaAppliedRetention1763900000055';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`create index saga_applied_events_applied_at on saga_applied_events (applied_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop index saga_applied_events_applied_at`);
  }
}
