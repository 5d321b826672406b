import type { Executor } from '../../../db/executor';

/**
 * The ids of the events a projector applied, recorded in the transaction that applies them: an id that is
 * already there is a redelivery, and its event changes nothing. Ids are inserted in sorted order, so two
 * transactions recording overlapping ids wait for each other instead of deadlocking.
 */

export const RECORD_APPLIED_EVENTS_SQL = `
insert into projection_applied_events (projector, event_id, aggregate_id, version)
select $1, e.event_id, e.aggregate_id, e.version
from unnest($2::uuid[], $3::text[], $4::int[]) as e(event_id, aggregate_id, version)
order by e.event_id
on conflict (projector, event_id) do nothing
returning event_id::text as event_id`;

export interface AppliedEvent {
  /** A lower-case uuid. */
  readonly id: string;
  readonly aggregateId: string;
  readonly version: number;
}

/** Records `events` (distinct ids) as applied by `projector`; returns the ids that were not recorded yet. */
export async function recordAppliedEvents(
  executor: Executor,
  projector: string,
  events: readonly AppliedEvent[],
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const rows = await executor.query<{ event_id: string }>(RECORD_APPLIED_EVENTS_SQL, [
    projector,
    events.map((event) => event.id),
    events.map((event) => event.aggregateId),
    events.map((event) => event.version),
  ]);
  return new Set(rows.map((row) => row.event_id));
}
