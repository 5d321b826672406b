import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The projector runtime's own state, shared by every projector (keyed by projector name):
 *  - checkpoints: how fresh each read model is (query responses carry it);
 *  - dead letters: every message a projector could not apply, with the original message so it can be
 *    replayed after a fix (the `<topic>.dlq` topic gets the same message for integrators and operators);
 *  - parked aggregates: an aggregate with a dead letter is parked; its later events are dead-lettered too,
 *    so a read model never applies an aggregate past a gap. Replaying its dead letters unparks it.
 */
export class Projections1763900000002 implements MigrationInterface {
  name = 'Projections1763900000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table projection_checkpoints (
        projector       text not null primary key,
        last_event_at   timestamptz,
        last_applied_at timestamptz,
        -- messages not yet applied, per "topic/partition", as of each partition's last batch
        lag             jsonb not null default '{}'
      )`);
    await runner.query(`
      create table projection_dead_letters (
        id             bigint generated always as identity primary key,
        projector      text not null,
        topic          text not null,
        kafka_partition int not null,
        kafka_offset   bigint not null,
        aggregate_id   text,
        event_id       text,
        stream_version int,
        reason         text not null,
        parked_behind  text,
        message_key    text,
        message_value  bytea,
        message_headers jsonb not null,
        status         text not null default 'parked' check (status in ('parked', 'replayed')),
        attempts       int not null default 1,
        failed_at      timestamptz not null default now(),
        replayed_at    timestamptz,
        -- one dead letter per message and projector: a redelivered batch records nothing twice
        constraint projection_dead_letters_message_key unique (projector, topic, kafka_partition, kafka_offset)
      )`);
    await runner.query(
      `create index projection_dead_letters_aggregate on projection_dead_letters (projector, aggregate_id, id)`,
    );
    await runner.query(`
      create table projection_parked (
        projector     text not null,
        aggregate_id  text not null,
        first_dead_letter bigint not null,
        parked_at     timestamptz not null default now(),
        primary key (projector, aggregate_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table projection_parked`);
    await runner.query(`drop table projection_dead_letters`);
    await runner.query(`drop table projection_checkpoints`);
  }
}
