import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order-fulfilment saga's state (src/saga): one `sagas` row per confirmed order (its state and what it did:
 * reservations made, the capture, the reason it ended), its steps in order (`saga_steps`, what
 * `GET /orders/:id/fulfilment` shows), its durable timers (`saga_timers`, fired by time even after every
 * process restarted) and the ids of the order events it consumed (`saga_applied_events`, written in the same
 * transaction as their effect: a redelivered event changes nothing).
 */
export class Sagas1763900000050 implements MigrationInterface {
  name = 'Sagas1763900000050';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table sagas (
        order_id        text primary key,
        state           text not null
                        check (state in ('reserving', 'capturing', 'completed', 'compensated', 'timed_out')),
        data            jsonb not null,
        attempts        int not null default 0,
        next_attempt_at timestamptz not null default now(),
        started_at      timestamptz not null default now(),
        updated_at      timestamptz not null default now()
      )`);
    // The capture worker's queue: sagas waiting for a capture, the next due first.
    await runner.query(`
      create index sagas_capturing on sagas (next_attempt_at) where state = 'capturing'`);
    await runner.query(`
      create table saga_steps (
        order_id text not null references sagas (order_id),
        seq      int not null,
        step     text not null,
        outcome  text not null,
        at       timestamptz not null default now(),
        detail   jsonb,
        primary key (order_id, seq)
      )`);
    await runner.query(`
      create table saga_timers (
        order_id text not null references sagas (order_id),
        kind     text not null,
        fire_at  timestamptz not null,
        primary key (order_id, kind)
      )`);
    await runner.query(`create index saga_timers_due on saga_timers (fire_at)`);
    await runner.query(`
      create table saga_applied_events (
        event_id   text primary key,
        applied_at timestamptz not null default now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table saga_applied_events`);
    await runner.query(`drop table saga_timers`);
    await runner.query(`drop table saga_steps`);
    await runner.query(`drop table sagas`);
  }
}
