import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parking in `relay_dead_letters`: a row with `blocked_by` set is not itself refused by Kafka but parked
 * behind its aggregate's open dead letter (the row it points to), so the aggregate's order holds until an
 * operator replays or skips that one (`tributary relay dead-letters`). `record_key` is the Kafka key the
 * record is republished with.
 */
export class RelayParking1763900000032 implements MigrationInterface {
  name = 'RelayParking1763900000032';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      alter table relay_dead_letters
        add column blocked_by bigint references relay_dead_letters (id),
        add column record_key text`);
    await runner.query(`
      create index relay_dead_letters_blocked on relay_dead_letters (blocked_by, id)
      where blocked_by is not null`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop index relay_dead_letters_blocked`);
    await runner.query(`alter table relay_dead_letters drop column record_key, drop column blocked_by`);
  }
}
