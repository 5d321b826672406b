import { randomUUID } from 'node:crypto';
import { TributaryError } from '../errors';
import type { Executor } from '../db/executor';
import type {
  AppendResult,
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  PendingEvent,
  StoredEvent,
} from './types';

/** The columns an append returns: only what the database assigns. */
export interface AppendedRow {
  position: string;
  transaction_id: string;
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
 * The CTEs `moved` and `inserted`: move the stream from version $3 to $3 + (number of events) and insert the
 * events, numbered from $3 + 1. When the stream is not at $3 (a concurrent writer won), `moved` is empty and
 * nothing is inserted. A concurrent writer blocks on the stream row and then re-checks the version, so
 * exactly one of several writers expecting the same version succeeds. Parameters $1 to $9 (`appendParams`).
 * append-with-outbox.ts adds the outbox write to them.
 */
export const appendCtes = (create: boolean) => `moved as (
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
       rows from (unnest($4::uuid[]), unnest($5::text[]), unnest($6::int[]), jsonb_array_elements($7::jsonb),
                  unnest($8::timestamptz[]))
         with ordinality as e(event_id, event_type, schema_version, data, occurred_at, ordinality)
  returning global_position, transaction_id, stream_version, recorded_at
)`;

/**
 * The final select of an append: one row per event in stream order (`AppendedRow`). `join` names a one-row
 * CTE the statement must read for it to run at all (see append-with-outbox.ts).
 */
export const appendedRows = (join?: string) => `
select global_position::text as position, transaction_id::text as transaction_id, recorded_at
from inserted${join ? `, ${join}` : ''} order by stream_version`;

export const CREATE_STREAM_APPEND_SQL = `with ${appendCtes(true)}${appendedRows()}`;
export const EXTEND_STREAM_APPEND_SQL = `with ${appendCtes(false)}${appendedRows()}`;

export interface AppendInput {
  streamId: string;
  streamType: string;
  expected: ExpectedVersion;
  events: readonly NewEvent[];
  metadata?: EventMetadata;
}

export function conflict(streamId: string, expected: ExpectedVersion, actual?: number): TributaryError {
  const where = actual === undefined ? 'does not exist' : `is at version ${actual}`;
  return new TributaryError('store.conflict', `stream ${streamId} ${where}, expected ${String(expected)}`, {
    details: { streamId, expected, ...(actual === undefined ? {} : { actual }) },
  });
}

/** The version an exact expectation (a number or `no_stream`) names; undefined for `any` and `stream_exists`. */
export function knownVersion(expected: ExpectedVersion): number | undefined {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new TributaryError(
        'input.invalid',
        `expected version must be a non-negative integer, got ${expected}`,
      );
    }
    return expected;
  }
  return expected === 'no_stream' ? 0 : undefined;
}

/** Resolves `any` and `stream_exists` to the exact current version (locking the stream row). */
async function exactVersion(executor: Executor, input: AppendInput): Promise<number> {
  const known = knownVersion(input.expected);
  if (known !== undefined) return known;
  const rows = await executor.query<{ version: string }>(LOCK_STREAM_SQL, [input.streamId]);
  const current = rows[0] === undefined ? undefined : Number(rows[0].version);
  if (current === undefined && input.expected === 'stream_exists')
    throw conflict(input.streamId, input.expected);
  return current ?? 0;
}

/** Reads the version a failed append found, for the conflict message. */
export async function actualVersion(executor: Executor, streamId: string): Promise<number | undefined> {
  const rows = await executor.query<{ version: string }>('select version from streams where stream_id = $1', [
    streamId,
  ]);
  return rows[0] === undefined ? undefined : Number(rows[0].version);
}

/** An occurredAt as stored: UTC, millisecond precision, so what the outbox carries is what the store has. */
function businessTime(occurredAt: string): string {
  const ms = Date.parse(occurredAt);
  if (Number.isNaN(ms)) throw new TributaryError('input.invalid', `occurredAt is not a time: ${occurredAt}`);
  return new Date(ms).toISOString();
}

/**
 * The events of `input` as they will be stored when the stream is at version `from`: ids generated here and
 * times normalised, so everything but the database-assigned fields is known before the write.
 */
export function pendingEvents(input: AppendInput, from: number): PendingEvent[] {
  if (input.events.length === 0) throw new TributaryError('input.invalid', 'append needs at least one event');
  let now: string | undefined;
  const metadata = input.metadata ?? {};
  return input.events.map((event, i) => {
    // JSON would turn undefined into null silently; the column requires a document.
    if (event.data === undefined)
      throw new TributaryError('input.invalid', `event ${event.type} has no data`);
    return {
      streamId: input.streamId,
      streamType: input.streamType,
      version: from + i + 1,
      eventId: event.eventId ?? randomUUID(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata,
      occurredAt:
        event.occurredAt === undefined ? (now ??= new Date().toISOString()) : businessTime(event.occurredAt),
    };
  });
}

/**
 * Parameters $1 to $9 of `appendCtes` (`from`: the expected version). The event data travel as one JSON array
 * rather than a jsonb[]: one JSON.stringify, and no array-literal escaping of every quote in every document.
 */
export const appendParams = (
  input: AppendInput,
  from: number,
  events: readonly PendingEvent[],
): unknown[] => [
  input.streamId,
  input.streamType,
  from,
  events.map((event) => event.eventId),
  events.map((event) => event.type),
  events.map((event) => event.schemaVersion),
  JSON.stringify(events.map((event) => event.data)),
  events.map((event) => event.occurredAt),
  JSON.stringify(input.metadata ?? {}),
];

/** The pending events completed with what the database assigned (rows in stream order). */
export function storedEvents(events: readonly PendingEvent[], rows: readonly AppendedRow[]): StoredEvent[] {
  // A literal, not `{ ...event, ... }`: V8 copies a spread followed by more properties the slow way.
  return events.map((event, i) => {
    const row = rows[i]!;
    return {
      position: row.position,
      transactionId: row.transaction_id,
      streamId: event.streamId,
      streamType: event.streamType,
      version: event.version,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      occurredAt: event.occurredAt,
      recordedAt: row.recorded_at.toISOString(),
    };
  });
}

/**
 * Appends `events` to the stream in the caller's transaction. Throws TributaryError 'store.conflict' when
 * the stream is not at the expected version (nothing is written then).
 */
export async function appendToStream(executor: Executor, input: AppendInput): Promise<AppendResult> {
  if (input.events.length === 0) throw new TributaryError('input.invalid', 'append needs at least one event');
  const from = await exactVersion(executor, input);
  const events = pendingEvents(input, from);
  const rows = await executor.query<AppendedRow>(
    from === 0 ? CREATE_STREAM_APPEND_SQL : EXTEND_STREAM_APPEND_SQL,
    appendParams(input, from, events),
  );
  // `any` found no stream to lock and lost the race to create it: the stream exists now, so lock and extend it.
  if (rows.length === 0 && input.expected === 'any' && from === 0) return appendToStream(executor, input);
  if (rows.length === 0)
    throw conflict(input.streamId, input.expected, await actualVersion(executor, input.streamId));
  return { streamId: input.streamId, nextVersion: from + rows.length, events: storedEvents(events, rows) };
}
