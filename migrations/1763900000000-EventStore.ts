import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store and its outbox: events (source of truth), streams (current version per stream, for
 * optimistic concurrency), snapshots, the insert-only outbox with its publication, idempotency keys of
 * commands, and the marks that make outbox retention safe.
 */
export class EventStore1763900000000 implements MigrationInterface {
  name = 'EventStore1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table streams (
        stream_id   text primary key,
        stream_type text not null,
        version     bigint not null check (version >= 0),
        updated_at  timestamptz not null default now()
      )`);
    await runner.query(`
      create table events (
        global_position bigint generated always as identity primary key,
        transaction_id  xid8 not null default pg_current_xact_id(),
        stream_id       text not null,
        stream_type     text not null,
        stream_version  bigint not null check (stream_version >= 1),
        event_id        uuid not null unique,
        event_type      text not null,
        schema_version  int not null check (schema_version >= 1),
        data            jsonb not null,
        metadata        jsonb not null default '{}',
        occurred_at     timestamptz not null,
        recorded_at     timestamptz not null default now(),
        unique (stream_id, stream_version)
      )`);
    // readAll: (transaction id, position) order below the oldest running transaction.
    await runner.query(`create index events_transaction_order on events (transaction_id, global_position)`);
    await runner.query(`
      create table snapshots (
        stream_id       text not null,
        stream_version  bigint not null,
        snapshot_version int not null,
        state           jsonb not null,
        -- the latest business time among the events folded in: a snapshot serves "as of T" only when <= T
        max_occurred_at timestamptz not null,
        created_at      timestamptz not null default now(),
        primary key (stream_id, stream_version)
      )`);
    await runner.query(`
      create table outbox (
        id             uuid primary key,
        transaction_id xid8 not null default pg_current_xact_id(),
        aggregate_type text not null,
        aggregate_id   text not null,
        stream_version bigint not null,
        event_type     text not null,
        schema_version int not null,
        payload        jsonb not null,
        headers        jsonb not null default '{}',
        created_at     timestamptz not null default now()
      )`);
    await runner.query(`create index outbox_transaction on outbox (transaction_id)`);
    await runner.query(`create publication tributary_outbox for table outbox with (publish = 'insert')`);
    await runner.query(`
      create table outbox_retention_marks (
        id         bigint generated always as identity primary key,
        snapshot   pg_snapshot not null,
        wal_lsn    pg_lsn not null,
        created_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table idempotency_keys (
        key          text primary key,
        request_hash text not null,
        stream_id    text not null,
        response     jsonb not null,
        created_at   timestamptz not null default now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table idempotency_keys`);
    await runner.query(`drop table outbox_retention_marks`);
    await runner.query(`drop publication tributary_outbox`);
    await runner.query(`drop table outbox`);
    await runner.query(`drop table snapshots`);
    await runner.query(`drop table events`);
    await runner.query(`drop table streams`);
  }
}
