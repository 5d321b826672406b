import type { Executor } from '../db/executor';
import { createGrouping } from '../db/grouping';
import { isRejectedByServer, TributaryError, toTributaryError } from '../errors';
import { outboxMessageParams } from '../outbox/emit-messages';
import type { OutboxEntry } from '../outbox/types';
import { outboxRowParams } from '../outbox/write-table';
import {
  actualVersion,
  AppendedRow,
  AppendInput,
  conflict,
  knownVersion,
  pendingEvents,
  storedEvents,
} from './append';
import { appendWithOutbox, SingleStatementMode } from './append-with-outbox';
import type { AppendResult, PendingEvent } from './types';

/**
 * Group commit of appends. Every append the store owns is one autocommitted statement (append-with-outbox.ts),
 * so every command pays a statement, a commit and a WAL flush of its own. The group appender sends one
 * statement at a time per process: appends that arrive while one is in flight wait for it, then all go
 * together as ONE statement (`APPEND_GROUP_SQL`) that moves every stream it can and writes their events and
 * outbox entries. One commit, one WAL flush, one round trip for the group.
 *
 * Nothing changes for one append:
 *  - Optimistic concurrency stays per stream: a stream not at its expected version is simply not moved, its
 *    events and entries are not written, and only that append fails with 'store.conflict'. The others commit.
 *  - A group is one transaction, so each append's events and entries still commit together or not at all.
 *  - An append that finds nothing in flight goes at once, by the single-append statement: no added latency
 *    when idle.
 *  - Two appends to the same stream never share a statement; the later one waits for the next group.
 *  - A group never waits for another transaction's stream lock (a CRUD app's long transaction, say): it locks
 *    its streams with SKIP LOCKED, and an append whose stream is held goes on its own, outside the group, to
 *    wait for it there. Locking an existing stream never waits. Creating a stream can wait for another
 *    transaction creating the same one, and a deadlock there is the server rejecting the statement (below).
 *  - When the server rejects a group's statement (a duplicate event id, a deadlock with another transaction),
 *    nothing of it was committed, and each append is tried again on its own, so only the append at fault
 *    fails. When the connection fails instead, the outcome is unknown and every append of the group gets the
 *    (retriable) error, as a single append would.
 */

/**
 * Parameters: $1–$4 the streams (id, type, expected version, event count); $5–$13 the events (stream id,
 * stream type, version, event id, event type, schema version, data and metadata as JSON arrays, occurred_at);
 * then the outbox. `locked` holds the existing streams this statement could lock, with their version as
 * locked (the latest, which no one can change until this commits); `moved` the streams that were at their
 * expected version (new streams: expected 0, created here); only their events and entries are written.
 * `streams` is only ever reached by its key, one stream at a time (a LATERAL lookup, an upsert's arbiter
 * index), so every plan of this prepared statement is index lookups, whatever the table's size was when it
 * was planned. A `stream_id = any($1)` filter or an update joined to the request got a generic plan that
 * scanned all of `streams` on every group, planned while the table was small (docs/benchmarks-history.md §2).
 * The result has one row per written event, and one row with a null version per stream that was busy
 * (expected to exist but not locked; a missing stream shows up there too, and fails on its own). The explicit
 * `order by` keeps each stream's events (and entries) in version order: PostgreSQL evaluates the sequence
 * default after the sort, so positions follow versions.
 */
const STREAMS_AND_EVENTS = `req as (
  select * from unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) as r(stream_id, stream_type, expected, n)
), locked as (
  select r.stream_id, r.stream_type, r.expected, r.n, s.version
  from req r
  cross join lateral (
    select version from streams where stream_id = r.stream_id
    for update skip locked
  ) s
  where r.expected > 0
), created as (
  insert into streams (stream_id, stream_type, version)
  select stream_id, stream_type, n from req where expected = 0
  on conflict (stream_id) do nothing
  returning stream_id
), updated as (
  insert into streams (stream_id, stream_type, version)
  select stream_id, stream_type, expected + n from locked where version = expected
  on conflict (stream_id) do update set version = excluded.version, updated_at = now()
  returning stream_id
), moved as (
  select stream_id from created union all select stream_id from updated
), inserted as (
  insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                      metadata, occurred_at)
  select e.stream_id, e.stream_type, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data,
         e.metadata, e.occurred_at
  from rows from (unnest($5::text[]), unnest($6::text[]), unnest($7::bigint[]), unnest($8::uuid[]),
                  unnest($9::text[]), unnest($10::int[]), jsonb_array_elements($11::jsonb),
                  jsonb_array_elements($12::jsonb), unnest($13::timestamptz[]))
         with ordinality as e(stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                              metadata, occurred_at, ord)
  where e.stream_id = any(array(select stream_id from moved))
  order by e.ord
  returning stream_id, stream_version, global_position, transaction_id, recorded_at
)`;

const RESULT = `
select stream_id, stream_version::int as stream_version, global_position::text as position,
       transaction_id::text as transaction_id, recorded_at
from inserted
union all
select stream_id, null, null, null, null
from req
where expected > 0 and stream_id <> all(array(select stream_id from locked))`;

/** Outbox rows: $14 the stream of each entry, then the eight columns of write-table.ts. */
const GROUP_WITH_ROWS_SQL = `with ${STREAMS_AND_EVENTS}, outboxed as (
  insert into outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version, payload,
                      headers)
  select o.id, o.aggregate_type, o.aggregate_id, o.stream_version, o.event_type, o.schema_version, o.payload,
         o.headers
  from rows from (unnest($14::text[]), unnest($15::uuid[]), unnest($16::text[]), unnest($17::text[]),
                  unnest($18::bigint[]), unnest($19::text[]), unnest($20::int[]), jsonb_array_elements($21::jsonb),
                  jsonb_array_elements($22::jsonb))
         with ordinality as o(stream_id, id, aggregate_type, aggregate_id, stream_version, event_type,
                              schema_version, payload, headers, ord)
  where o.stream_id = any(array(select stream_id from moved))
  order by o.ord
)${RESULT}`;

/**
 * Outbox messages: $14 the stream of each entry, $15 the prefix, $16 the contents. The emit is a select, so
 * the result joins its one row to make PostgreSQL run it; the ordered subquery emits in entry order.
 */
const GROUP_WITH_MESSAGES_SQL = `with ${STREAMS_AND_EVENTS}, emitted as (
  select count(*) as emitted from (
    select pg_logical_emit_message(true, $15, o.content)
    from unnest($14::text[], $16::text[]) with ordinality as o(stream_id, content, ord)
    where o.stream_id = any(array(select stream_id from moved))
    order by o.ord
  ) as messages
)${RESULT.replace('from inserted', 'from inserted, emitted')}`;

export const APPEND_GROUP_SQL: Record<SingleStatementMode, string> = {
  table: GROUP_WITH_ROWS_SQL,
  message: GROUP_WITH_MESSAGES_SQL,
};

/** One append waiting for its group. */
interface Waiting {
  input: AppendInput;
  from: number;
  outboxOf: (events: PendingEvent[]) => OutboxEntry[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** A waiting append with its events and entries built. */
interface Grouped extends Waiting {
  events: PendingEvent[];
  entries: OutboxEntry[];
}

/** A written event of the group, or (stream_version null) a stream another transaction holds locked. */
type GroupRow = AppendedRow & { stream_id: string; stream_version: number | null };

/** The parameters of `APPEND_GROUP_SQL[mode]` for appends to distinct streams. */
export function appendGroupParams(
  mode: SingleStatementMode,
  appends: readonly { input: AppendInput; from: number; events: PendingEvent[]; entries: OutboxEntry[] }[],
): unknown[] {
  const events = appends.flatMap((a) => a.events);
  const entries = appends.flatMap((a) => a.entries);
  // The stream of each entry, so the statement writes only the entries of streams it moved.
  const entryStreams = appends.flatMap((a) => a.entries.map(() => a.input.streamId));
  const streamParams = [
    appends.map((a) => a.input.streamId),
    appends.map((a) => a.input.streamType),
    appends.map((a) => a.from),
    appends.map((a) => a.events.length),
  ];
  const eventParams = [
    events.map((e) => e.streamId),
    events.map((e) => e.streamType),
    events.map((e) => e.version),
    events.map((e) => e.eventId),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    JSON.stringify(events.map((e) => e.data)),
    JSON.stringify(events.map((e) => e.metadata)),
    events.map((e) => e.occurredAt),
  ];
  const outboxParams = mode === 'table' ? outboxRowParams(entries) : outboxMessageParams(entries);
  return [...streamParams, ...eventParams, entryStreams, ...outboxParams];
}

export interface GroupAppender {
  /** Appends like `appendWithOutbox` (exact expected version), grouped with concurrent appends. */
  append(input: AppendInput, outboxOf: (events: PendingEvent[]) => OutboxEntry[]): Promise<AppendResult>;
}

/**
 * A group appender writing through `executor`, an autocommit executor (a pool): each statement is its own
 * transaction. `maxGroup` bounds the appends of one statement, `inFlight` the statements sent at a time.
 */
export function createGroupAppender(
  executor: Executor,
  mode: SingleStatementMode,
  maxGroup: number,
  inFlight = 1,
): GroupAppender {
  const target: Target = { executor, mode };
  const grouping = createGrouping<Waiting>({
    max: maxGroup,
    inFlight,
    keyOf: (waiting) => waiting.input.streamId,
    send: (group) => (group.length === 1 ? appendAlone(target, group[0]!) : writeGroup(target, group)),
    fail: (waiting, error) => waiting.reject(toTributaryError(error)),
  });

  return {
    append(input, outboxOf) {
      return new Promise<AppendResult>((resolve, reject) => {
        const from = knownVersion(input.expected); // throws on a bad version: rejects this append only
        if (from === undefined) {
          throw new TributaryError(
            'internal',
            `group append needs an exact expected version, got ${input.expected}`,
          );
        }
        grouping.add({ input, from, outboxOf, resolve, reject });
      });
    },
  };
}

/** Where a group appender writes: an autocommit executor, in one outbox mode. */
interface Target {
  executor: Executor;
  mode: SingleStatementMode;
}

/** One append on its own, settling its promise. */
function appendAlone({ executor, mode }: Target, waiting: Waiting): Promise<void> {
  return appendWithOutbox(executor, mode, waiting.input, waiting.outboxOf).then(waiting.resolve, (error) =>
    waiting.reject(toTributaryError(error)),
  );
}

/** Sends one group; resolves when its statement has answered (follow-ups of single appends run on). */
async function writeGroup(target: Target, group: Waiting[]): Promise<void> {
  const appends: Grouped[] = [];
  for (const waiting of group) {
    try {
      const events = pendingEvents(waiting.input, waiting.from);
      appends.push({ ...waiting, events, entries: waiting.outboxOf(events) });
    } catch (error) {
      waiting.reject(toTributaryError(error)); // bad input fails its own append only
    }
  }
  if (appends.length === 0) return;
  let rows: GroupRow[];
  try {
    rows = await target.executor.query<GroupRow>(
      APPEND_GROUP_SQL[target.mode],
      appendGroupParams(target.mode, appends),
    );
  } catch (error) {
    if (!isRejectedByServer(error)) {
      const failure = toTributaryError(error);
      for (const append of appends) append.reject(failure);
      return;
    }
    // Nothing committed: each append again on its own, so only the one at fault fails.
    for (const append of appends) void appendAlone(target, append);
    return;
  }
  settleGroup(target, appends, rows);
}

/** Settles each append of a group that committed: written, in conflict, or (stream busy) tried alone. */
function settleGroup(target: Target, appends: Grouped[], rows: GroupRow[]): void {
  const written = new Map<string, GroupRow[]>();
  for (const row of rows) {
    const list = written.get(row.stream_id);
    if (list) list.push(row);
    else written.set(row.stream_id, [row]);
  }
  for (const append of appends) {
    const { input, from, events } = append;
    const mine = written.get(input.streamId);
    if (mine === undefined) {
      // The append failed as a conflict either way; the actual version only makes the message precise.
      void actualVersion(target.executor, input.streamId)
        .catch(() => undefined)
        .then((actual) => append.reject(conflict(input.streamId, input.expected, actual)));
    } else if (mine[0]!.stream_version === null) {
      void appendAlone(target, append); // its stream is locked by another transaction: wait for it outside the group
    } else {
      mine.sort((x, y) => x.stream_version! - y.stream_version!);
      append.resolve({
        streamId: input.streamId,
        nextVersion: from + mine.length,
        events: storedEvents(events, mine),
      });
    }
  }
}
