import type { Executor } from '../db/executor';
import type { OutboxEntry } from './types';

/** Inserts outbox rows (one statement for the whole batch); `transaction_id` defaults to the writer's. */
export const INSERT_OUTBOX_SQL = `
insert into outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version, payload, headers)
select * from unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[])`;

/** Deletes rows this transaction inserted: the `table-transient` mode (the WAL still carries the inserts). */
export const DELETE_OUTBOX_SQL = `delete from outbox where id = any($1::uuid[])`;

export async function insertOutbox(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(INSERT_OUTBOX_SQL, [
    entries.map((e) => e.id),
    entries.map((e) => e.aggregateType),
    entries.map((e) => e.aggregateId),
    entries.map((e) => e.streamVersion),
    entries.map((e) => e.eventType),
    entries.map((e) => e.schemaVersion),
    entries.map((e) => JSON.stringify(e.payload)),
    entries.map((e) => JSON.stringify(e.headers)),
  ]);
}

export async function deleteOutbox(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(DELETE_OUTBOX_SQL, [entries.map((e) => e.id)]);
}
