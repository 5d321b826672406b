import type { Executor } from '../db/executor';
import type { OutboxEntry } from './types';

/**
 * The outbox insert from eight parameters numbered from $`first` (`outboxRowParams`); `transaction_id`
 * defaults to the writer's. With `gate`, a relation of the same statement (the append's `moved`), rows are
 * inserted only when it has a row: append-with-outbox.ts uses that to write the outbox in the append's own
 * statement.
 */
export const insertOutboxSql = (first: number, gate?: string) => {
  const p = (i: number) => `$${first + i}`;
  return `
insert into outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version, payload, headers)
select o.* from ${gate ? `${gate}, ` : ''}rows from (
  unnest(${p(0)}::uuid[]), unnest(${p(1)}::text[]), unnest(${p(2)}::text[]), unnest(${p(3)}::bigint[]),
  unnest(${p(4)}::text[]), unnest(${p(5)}::int[]), jsonb_array_elements(${p(6)}::jsonb),
  jsonb_array_elements(${p(7)}::jsonb)) as o`;
};

/** Inserts outbox rows (one statement for the whole batch). */
export const INSERT_OUTBOX_SQL = insertOutboxSql(1);

/** Deletes rows this transaction inserted: the `table-transient` mode (the WAL still carries the inserts). */
export const DELETE_OUTBOX_SQL = `delete from outbox where id = any($1::uuid[])`;

/**
 * The parameters of `insertOutboxSql`, column by column. Payloads and headers travel as one JSON array each
 * rather than a jsonb[]: one JSON.stringify, and no array-literal escaping of every quote in every document.
 */
export const outboxRowParams = (entries: readonly OutboxEntry[]): unknown[] => [
  entries.map((e) => e.id),
  entries.map((e) => e.aggregateType),
  entries.map((e) => e.aggregateId),
  entries.map((e) => e.streamVersion),
  entries.map((e) => e.eventType),
  entries.map((e) => e.schemaVersion),
  JSON.stringify(entries.map((e) => e.payload)),
  JSON.stringify(entries.map((e) => e.headers)),
];

export async function insertOutbox(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(INSERT_OUTBOX_SQL, outboxRowParams(entries));
}

export async function deleteOutbox(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(DELETE_OUTBOX_SQL, [entries.map((e) => e.id)]);
}
