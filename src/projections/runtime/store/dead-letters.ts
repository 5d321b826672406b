import type { Executor } from '../../../db/executor';

/** A recorded dead letter, as listed and replayed. */
export interface DeadLetterRow {
  id: string;
  projector: string;
  topic: string;
  partition: number;
  offset: string;
  aggregateId: string | null;
  eventId: string | null;
  version: number | null;
  reason: string;
  parkedBehind: string | null;
  status: 'parked' | 'replayed';
  attempts: number;
  failedAt: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

const COLUMNS = `id::text, projector, topic, kafka_partition, kafka_offset::text, aggregate_id, event_id,
  stream_version, reason, parked_behind, status, attempts, failed_at, message_key, message_value,
  message_headers`;

type Row = {
  id: string;
  projector: string;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
  aggregate_id: string | null;
  event_id: string | null;
  stream_version: number | null;
  reason: string;
  parked_behind: string | null;
  status: 'parked' | 'replayed';
  attempts: number;
  failed_at: Date;
  message_key: string | null;
  message_value: Buffer | null;
  message_headers: Record<string, string>;
};

function toDeadLetterRow(row: Row): DeadLetterRow {
  return {
    id: row.id,
    projector: row.projector,
    topic: row.topic,
    partition: row.kafka_partition,
    offset: row.kafka_offset,
    aggregateId: row.aggregate_id,
    eventId: row.event_id,
    version: row.stream_version,
    reason: row.reason,
    parkedBehind: row.parked_behind,
    status: row.status,
    attempts: row.attempts,
    failedAt: row.failed_at.toISOString(),
    key: row.message_key,
    value: row.message_value,
    headers: row.message_headers,
  };
}

export const LIST_DEAD_LETTERS_SQL = `
  select ${COLUMNS} from projection_dead_letters
   where ($1::text is null or projector = $1) and ($2::text is null or status = $2)
     and ($3::text is null or aggregate_id = $3)
   order by id limit $4`;

/** Dead letters in the order they were recorded, optionally of one projector, status or aggregate. */
export async function listDeadLetters(
  executor: Executor,
  filter: { projector?: string; status?: 'parked' | 'replayed'; aggregateId?: string; limit?: number } = {},
): Promise<DeadLetterRow[]> {
  const rows = await executor.query<Row>(LIST_DEAD_LETTERS_SQL, [
    filter.projector ?? null,
    filter.status ?? null,
    filter.aggregateId ?? null,
    filter.limit ?? 1000,
  ]);
  return rows.map(toDeadLetterRow);
}

export const PARKED_AGGREGATES_SQL = `
  select aggregate_id from projection_parked where projector = $1 order by first_dead_letter`;

export async function parkedAggregates(executor: Executor, projector: string): Promise<string[]> {
  const rows = await executor.query<{ aggregate_id: string }>(PARKED_AGGREGATES_SQL, [projector]);
  return rows.map((row) => row.aggregate_id);
}

/** Locks an aggregate's parking row for a replay; false when it is not parked (any more). */
export const LOCK_FOR_REPLAY_SQL = `
  select 1 from projection_parked where projector = $1 and aggregate_id = $2 for update`;

export const PARKED_LETTERS_OF_SQL = `
  select ${COLUMNS} from projection_dead_letters
   where projector = $1 and aggregate_id = $2 and status = 'parked' order by id`;

export async function lockParkedLetters(
  executor: Executor,
  projector: string,
  aggregateId: string,
): Promise<DeadLetterRow[] | undefined> {
  const locked = await executor.query(LOCK_FOR_REPLAY_SQL, [projector, aggregateId]);
  if (locked.length === 0) return undefined;
  return (await executor.query<Row>(PARKED_LETTERS_OF_SQL, [projector, aggregateId])).map(toDeadLetterRow);
}

/** Parked dead letters that name no aggregate (nothing to keep in order with): replayed one by one. */
export const UNOWNED_LETTERS_SQL = `
  select ${COLUMNS} from projection_dead_letters
   where projector = $1 and aggregate_id is null and status = 'parked' order by id for update skip locked`;

export async function lockUnownedLetters(executor: Executor, projector: string): Promise<DeadLetterRow[]> {
  return (await executor.query<Row>(UNOWNED_LETTERS_SQL, [projector])).map(toDeadLetterRow);
}

export const MARK_REPLAYED_SQL = `
  update projection_dead_letters set status = 'replayed', replayed_at = now() where id = any($1::bigint[])`;

export const MARK_FAILED_AGAIN_SQL = `
  update projection_dead_letters set attempts = attempts + 1, reason = $2, failed_at = now() where id = $1`;

export const UNPARK_SQL = `delete from projection_parked where projector = $1 and aggregate_id = $2`;

export async function markReplayed(executor: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await executor.query(MARK_REPLAYED_SQL, [ids]);
}

export async function markFailedAgain(executor: Executor, id: string, reason: string): Promise<void> {
  await executor.query(MARK_FAILED_AGAIN_SQL, [id, reason]);
}

export async function unpark(executor: Executor, projector: string, aggregateId: string): Promise<void> {
  await executor.query(UNPARK_SQL, [projector, aggregateId]);
}
