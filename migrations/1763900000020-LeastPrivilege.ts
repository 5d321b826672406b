import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What least privilege needs in the schema itself, whichever roles a deployment runs with (the roles and their
 * grants are `tributary db roles` and `tributary setup`, since role names are settings):
 *  - `events` is append-only for everyone: a trigger refuses UPDATE, DELETE and TRUNCATE unless the
 *    transaction sets `tributary.maintenance = 'on'`, and logs (RAISE WARNING) every change it lets through.
 *    Grants already keep every role but the owner from changing events; the trigger is the second line, so
 *    that a mistaken grant (or a superuser's slip) cannot rewrite history;
 *  - `relay_heartbeat()`: the relay's heartbeat logical message, the one thing the relay may emit. It runs
 *    with its owner's rights (SECURITY DEFINER), so the relay's role needs no EXECUTE on
 *    `pg_logical_emit_message`, which would let it inject `message`-mode outbox entries. The prefix is the
 *    relay's HEARTBEAT_PREFIX (src/relay/transaction-buffer.ts), which the relay ignores when decoding;
 *  - `relay_dead_letters`: what the relay could never publish, written before the slot is confirmed past it,
 *    so one record cannot halt the pipeline; `status` says whether an operator replayed or skipped it.
 */
export class LeastPrivilege1763900000020 implements MigrationInterface {
  name = 'LeastPrivilege1763900000020';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create function events_append_only() returns trigger
      language plpgsql
      set search_path = pg_catalog, pg_temp
      as $$
      begin
        if coalesce(current_setting('tributary.maintenance', true), '') <> 'on' then
          raise exception 'events is append-only: % refused', tg_op
            using errcode = 'insufficient_privilege',
                  hint = 'a reviewed maintenance change runs as the owner with SET LOCAL tributary.maintenance = ''on''';
        end if;
        raise warning 'events: % by % under tributary.maintenance', tg_op, session_user;
        if tg_level = 'STATEMENT' then
          return null;
        elsif tg_op = 'DELETE' then
          return old;
        end if;
        return new;
      end $$`);
    await runner.query(`
      create trigger events_append_only before update or delete on events
      for each row execute function events_append_only()`);
    await runner.query(`
      create trigger events_append_only_truncate before truncate on events
      for each statement execute function events_append_only()`);

    await runner.query(`
      create function relay_heartbeat() returns pg_lsn
      language sql
      security definer
      set search_path = pg_catalog, pg_temp
      as $$ select pg_logical_emit_message(true, 'tributary.heartbeat', now()::text) $$`);
    // Functions are executable by PUBLIC by default; the relay's role gets EXECUTE from `tributary setup`.
    await runner.query(`revoke execute on function relay_heartbeat() from public`);

    await runner.query(`
      create table relay_dead_letters (
        id             bigint generated always as identity primary key,
        slot           text not null,
        -- the WAL position of the entry (one per outbox row or logical message): a re-read records it once
        lsn            pg_lsn not null,
        commit_lsn     pg_lsn,
        event_id       text,
        aggregate_type text,
        aggregate_id   text,
        stream_version bigint,
        topic          text,
        reason         text not null,
        payload        bytea,
        headers        jsonb not null default '{}',
        status         text not null default 'parked' check (status in ('parked', 'replayed', 'skipped')),
        created_at     timestamptz not null default now(),
        resolved_at    timestamptz,
        check ((status = 'parked') = (resolved_at is null)),
        constraint relay_dead_letters_entry unique (slot, lsn)
      )`);
    // The relay parks an aggregate's later entries behind its open dead letter.
    await runner.query(`
      create index relay_dead_letters_parked on relay_dead_letters (slot, aggregate_type, aggregate_id, id)
      where status = 'parked'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table relay_dead_letters`);
    await runner.query(`drop function relay_heartbeat()`);
    await runner.query(`drop trigger events_append_only_truncate on events`);
    await runner.query(`drop trigger events_append_only on events`);
    await runner.query(`drop function events_append_only()`);
  }
}
