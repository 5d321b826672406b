import type { Executor } from '../db/executor';
import { EVENT_COLUMNS, EventRow, toStoredEvent } from './rows';
import type { StoredEvent } from './types';
import type { Upcast } from './upcast';

/**
 * The global order of all events, for catch-up readers. Positions come from a sequence, so a transaction
 * that started earlier can commit later with smaller positions: a reader that only remembered "the last
 * position" would skip its events for good. Instead the reader orders by (transaction id, position) and only
 * reads transactions below the oldest one still in flight (`pg_snapshot_xmin` of the current snapshot): every
 * transaction below that is finished, so nothing can appear behind the checkpoint later.
 *
 * The `order by` names the table's columns (`e.`): a bare `transaction_id` would mean the output column of
 * EVENT_COLUMNS, the id as text, and text order puts transaction 10000 before 9999 — a reader whose events
 * spanned such a step skipped some and got others twice. Ordered by the columns, the statement also walks
 * the (transaction_id, global_position) index instead of sorting.
 */
export const READ_ALL_SQL = `
select ${EVENT_COLUMNS}
from events e
where (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
  and e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
order by e.transaction_id, e.global_position
limit $3`;

/** Where a reader of the global order stands: after this transaction id and position. */
export interface Checkpoint {
  transactionId: string;
  position: string;
}

export const START: Checkpoint = { transactionId: '0', position: '0' };

export interface ReadAllResult {
  events: StoredEvent[];
  /** Where to continue from (unchanged when nothing new was readable). */
  checkpoint: Checkpoint;
}

export async function readAll(
  executor: Executor,
  upcast: Upcast,
  after: Checkpoint = START,
  limit = 1000,
): Promise<ReadAllResult> {
  const rows = await executor.query<EventRow>(READ_ALL_SQL, [after.transactionId, after.position, limit]);
  const events = rows.map((row) => upcast(toStoredEvent(row)));
  const last = events[events.length - 1];
  return {
    events,
    checkpoint: last ? { transactionId: last.transactionId, position: last.position } : after,
  };
}
