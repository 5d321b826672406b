import type { Executor } from '../db/executor';
import { TributaryError } from '../errors';
import { emitOutboxMessagesSql, outboxMessageParams } from '../outbox/emit-messages';
import type { OutboxEntry, OutboxMode } from '../outbox/types';
import { insertOutboxSql, outboxRowParams } from '../outbox/write-table';
import {
  actualVersion,
  appendCtes,
  appendParams,
  appendedRows,
  AppendedRow,
  AppendInput,
  conflict,
  knownVersion,
  pendingEvents,
  storedEvents,
} from './append';
import type { AppendResult, ExpectedVersion, PendingEvent } from './types';

/**
 * An append and its outbox entries as ONE statement: the append CTEs of append.ts, then the outbox write as
 * one more CTE fed from `moved`. Sent on its own (autocommit), a single statement is its own transaction, so
 * events and entries commit together or not at all without BEGIN and COMMIT: one round trip instead of four.
 *
 * That needs the outbox entries before the statement runs. They derive from the pending events (ids generated
 * here, versions from the expected one), so it applies only when the expected version is known up front (a
 * number or `no_stream`) and the mode writes in one statement (`table`, `message`; `table-transient` deletes
 * in a second one). The store takes this path only when it owns the transaction; joining a caller's
 * transaction uses append.ts and outbox/write.ts as before.
 */

/** The outbox modes whose write fits into the append statement. */
export type SingleStatementMode = Extract<OutboxMode, 'table' | 'message'>;

/** Outbox parameters start after the append's nine. */
const FIRST_OUTBOX_PARAM = 10;

/**
 * Table mode: the outbox insert is data-modifying, so PostgreSQL runs it to completion whether or not the
 * final select reads it. Message mode: the emit is a select, so the final select joins its single row
 * (`emitted`) to make PostgreSQL run it. Both are gated on `moved`: a conflict writes nothing.
 */
const appendWithOutboxSql = (create: boolean, mode: SingleStatementMode) =>
  mode === 'table'
    ? `with ${appendCtes(create)}, outboxed as (${insertOutboxSql(FIRST_OUTBOX_PARAM, 'moved')}
)${appendedRows()}`
    : `with ${appendCtes(create)}, emitted as (${emitOutboxMessagesSql(FIRST_OUTBOX_PARAM, 'moved')}
)${appendedRows('emitted')}`;

export const CREATE_STREAM_APPEND_WITH_OUTBOX_ROWS_SQL = appendWithOutboxSql(true, 'table');
export const EXTEND_STREAM_APPEND_WITH_OUTBOX_ROWS_SQL = appendWithOutboxSql(false, 'table');
export const CREATE_STREAM_APPEND_WITH_OUTBOX_MESSAGES_SQL = appendWithOutboxSql(true, 'message');
export const EXTEND_STREAM_APPEND_WITH_OUTBOX_MESSAGES_SQL = appendWithOutboxSql(false, 'message');

const SQL: Record<SingleStatementMode, { create: string; extend: string }> = {
  table: {
    create: CREATE_STREAM_APPEND_WITH_OUTBOX_ROWS_SQL,
    extend: EXTEND_STREAM_APPEND_WITH_OUTBOX_ROWS_SQL,
  },
  message: {
    create: CREATE_STREAM_APPEND_WITH_OUTBOX_MESSAGES_SQL,
    extend: EXTEND_STREAM_APPEND_WITH_OUTBOX_MESSAGES_SQL,
  },
};

/** Whether an append can be one statement: the expected version is known up front and the mode allows it. */
export function fitsOneStatement(expected: ExpectedVersion, mode: OutboxMode): mode is SingleStatementMode {
  return (typeof expected === 'number' || expected === 'no_stream') && mode !== 'table-transient';
}

/**
 * Appends to one stream and writes the outbox entries `outboxOf` builds from the pending events, in one
 * statement. `executor` must not be inside a transaction that has to span more than this statement: run on
 * an autocommit connection (a pool), the statement is the transaction. Throws TributaryError 'store.conflict'
 * when the stream is not at the expected version (nothing is written then).
 */
export async function appendWithOutbox(
  executor: Executor,
  mode: SingleStatementMode,
  input: AppendInput,
  outboxOf: (events: PendingEvent[]) => OutboxEntry[],
): Promise<AppendResult> {
  const from = knownVersion(input.expected);
  if (from === undefined) {
    throw new TributaryError(
      'internal',
      `appendWithOutbox needs an exact expected version, got ${input.expected}`,
    );
  }
  const events = pendingEvents(input, from);
  const entries = outboxOf(events);
  const rows = await executor.query<AppendedRow>(from === 0 ? SQL[mode].create : SQL[mode].extend, [
    ...appendParams(input, from, events),
    ...(mode === 'table' ? outboxRowParams(entries) : outboxMessageParams(entries)),
  ]);
  if (rows.length === 0)
    throw conflict(input.streamId, input.expected, await actualVersion(executor, input.streamId));
  return { streamId: input.streamId, nextVersion: from + rows.length, events: storedEvents(events, rows) };
}
