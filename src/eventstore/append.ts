import { randomUUID } from 'node:crypto';
import { TributaryError } from '../errors';
import type { Executor } from '../db/executor';
import type { AppendResult, EventMetadata, ExpectedVersion, NewEvent, StoredEvent } from './types';

/** The columns an append returns: what the database assigns. */
interface AppendedRow {
  position: string;
  transaction_id: string;
  stream_version: string;
  occurred_at: Date;
  recorded_at: Date;
}

/**
 * Appends events to one stream inside the caller's transaction, with optimistic concurrency on the stream
 * version. Two statements at most: the current version is read (and locked) only for `any` and
 * `stream_exists`; then one statement moves the stream version and inserts the events.
 */

/** Locks the stream row so the version read stays true until commit. */
export const LOCK_STREAM_SQL = `select version from streams where stream_id = $1 for update`;

/**
 * Moves the stream from version $3 to $3 + (number of events) and inserts the events, numbered from
 * $3 + 1. When the stream is not at $3 (a concurrent writer won), `moved` is empty and nothing is inserted.
 * A concurrent writer blocks on the stream row and then re-checks the version, so exactly one of several
 * writers expecting the same version succeeds.
 */
const appendSql = (create: boolean) => `
with moved as (
  ${
    create
      ? `insert into streams (stream_id, stream_type, version) values ($1, $2, cardinality($4::uuid[]))
  on conflict (stream_id) do nothing
  returning version`
      : `update streams set version = version + cardinality($4::uuid[]), updated_at = now()
  where stream_id = $1 and version = $3
  returning version`
  }
), inserted as (
  insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                      metadata, occurred_at)
  select $1, $2, $3 + e.ordinality, e.event_id, e.event_type, e.schema_version, e.data, $9::jsonb, e.occurred_at
  from moved,
       unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::timestamptz[])
         with ordinality as e(event_id, event_type, schema_version, data, occurred_at, ordinality)
  returning global_position::text as position, transaction_id::text as transaction_id, stream_version,
            occurred_at, recorded_at
)
select * from inserted order by stream_version`;

export const CREATE_STREAM_APPEND_SQL = appendSql(true);
export const EXTEND_STREAM_APPEND_SQL = appendSql(false);

export interface AppendInput {
  streamId: string;
  streamType: string;
  expected: ExpectedVersion;
  events: readonly NewEvent[];
  metadata?: EventMetadata;
}

function conflict(streamId: string, expected: ExpectedVersion, actual?: number): TributaryError {
  const where = actual === undefined ? 'does not exist' : `is at version ${actual}`;
  return new TributaryError('store.conflict', `stream ${streamId} ${where}, expected ${String(expected)}`, {
    details: { streamId, expected, ...(actual === undefined ? {} : { actual }) },
  });
}

/** Resolves `any` and `stream_exists` to the exact current version (locking the stream row). */
async function exactVersion(executor: Executor, input: AppendInput): Promise<number> {
  const { expected, streamId } = input;
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new TributaryError(
        'input.invalid',
        `expected version must be a non-negative integer, got ${expected}`,
      );
    }
    return expected;
  }
  if (expected === 'no_stream') return 0;
  const rows = await executor.query<{ version: string }>(LOCK_STREAM_SQL, [streamId]);
  const current = rows[0] === undefined ? undefined : Number(rows[0].version);
  if (current === undefined && expected === 'stream_exists') throw conflict(streamId, expected);
  return current ?? 0;
}

/** Reads the version a failed append found, for the conflict message. */
async function actualVersion(executor: Executor, streamId: string): Promise<number | undefined> {
  const rows = await executor.query<{ version: string }>('select version from streams where stream_id = $1', [
    streamId,
  ]);
  return rows[0] === undefined ? undefined : Number(rows[0].version);
}

/**
 * Appends `events` to the stream in the caller's transaction. Throws TributaryError 'store.conflict' when
 * the stream is not at the expected version (nothing is written then).
 */
export async function appendToStream(executor: Executor, input: AppendInput): Promise<AppendResult> {
  if (input.events.length === 0) throw new TributaryError('input.invalid', 'append needs at least one event');
  const from = await exactVersion(executor, input);
  const now = new Date().toISOString();
  const eventIds = input.events.map((event) => event.eventId ?? randomUUID());
  const rows = await executor.query<AppendedRow>(
    from === 0 ? CREATE_STREAM_APPEND_SQL : EXTEND_STREAM_APPEND_SQL,
    [
      input.streamId,
      input.streamType,
      from,
      eventIds,
      input.events.map((event) => event.type),
      input.events.map((event) => event.schemaVersion),
      input.events.map((event) => JSON.stringify(event.data)),
      input.events.map((event) => event.occurredAt ?? now),
      JSON.stringify(input.metadata ?? {}),
    ],
  );
  // `any` found no stream to lock and lost the race to create it: the stream exists now, so lock and extend it.
  if (rows.length === 0 && input.expected === 'any' && from === 0) return appendToStream(executor, input);
  if (rows.length === 0)
    throw conflict(input.streamId, input.expected, await actualVersion(executor, input.streamId));
  // Only what the database decided comes back; the rest is what was sent (no jsonb parsed twice).
  const events = rows.map(
    (row, i): StoredEvent => ({
      position: row.position,
      transactionId: row.transaction_id,
      streamId: input.streamId,
      streamType: input.streamType,
      version: Number(row.stream_version),
      eventId: eventIds[i]!,
      type: input.events[i]!.type,
      schemaVersion: input.events[i]!.schemaVersion,
      data: input.events[i]!.data,
      metadata: input.metadata ?? {},
      occurredAt: row.occurred_at.toISOString(),
      recordedAt: row.recorded_at.toISOString(),
    }),
  );
  return { streamId: input.streamId, nextVersion: from + rows.length, events };
}
