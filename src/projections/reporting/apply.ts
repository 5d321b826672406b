import type { Executor } from '../../db/executor';
import { TributaryError } from '../../errors';
import type { ProjectionEvent } from '../types';
import { contributionOf, type Contribution } from './contribution';
import { replaceContributions } from './replace-contributions';
import { recordAppliedEvents } from './sql/applied-events';
import { LIVE_TABLES, REPORTING_PROJECTOR } from './tables';
import { writeReportChanges } from './write-deltas';

/**
 * Applying a batch of events to the reports, inside the caller's transaction, with a handful of set-based
 * statements whatever the batch size: record the event ids (redeliveries drop out), write each order's
 * newest state where it is newer than the stored one, add the differences to the reports.
 */

export interface ApplyOptions {
  /** Whose applied-event ids to record and check (default `reporting`). */
  readonly projector?: string;
}

export interface ApplyResult {
  /** Events received, duplicates included. */
  readonly received: number;
  /** Events whose id was recorded as applied before (by an earlier batch, or earlier in this one). */
  readonly redelivered: number;
  /** Orders whose contribution changed. */
  readonly ordersChanged: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalidEvent(event: ProjectionEvent, problem: string, field: string, cause?: unknown): never {
  throw new TributaryError(
    'input.invalid',
    `Event ${String(event.id)} (order ${String(event.aggregateId)}, version ${String(event.version)}) ` +
      `cannot be projected into the reports: ${problem}.`,
    {
      cause,
      details: { eventId: event.id, aggregateId: event.aggregateId, version: event.version, field },
    },
  );
}

/**
 * The contribution of the state an event carries, or `input.invalid` naming the event (so the runtime
 * can find it in a batch and dead-letter it) and the field.
 */
export function contributionOfEvent(event: ProjectionEvent): Contribution {
  if (typeof event.id !== 'string' || !UUID.test(event.id)) invalidEvent(event, 'its id is not a uuid', 'id');
  let contribution: Contribution;
  try {
    contribution = contributionOf(event.state);
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    const field = typeof error.details.field === 'string' ? error.details.field : 'state';
    return invalidEvent(event, error.message, field, error);
  }
  if (contribution.orderId !== event.aggregateId) {
    invalidEvent(event, `it carries the state of order ${contribution.orderId}`, 'state.id');
  }
  if (contribution.version !== event.version) {
    invalidEvent(event, `it carries the state at version ${contribution.version}`, 'state.version');
  }
  return contribution;
}

/**
 * Applies `events` to the live reports in the transaction of `executor`. Idempotent: an event applied
 * before, or older than the state already applied for its order, changes nothing. Every event is checked
 * before anything is written, so an invalid one throws `input.invalid` and the caller's rollback leaves
 * the tables as they were.
 */
export async function applyReportingEvents(
  executor: Executor,
  events: readonly ProjectionEvent[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const checked = events.map((event) => {
    const contribution = contributionOfEvent(event);
    return { id: event.id.toLowerCase(), event, contribution };
  });
  const distinct = [...new Map(checked.map((item) => [item.id, item])).values()];
  const fresh = await recordAppliedEvents(
    executor,
    options.projector ?? REPORTING_PROJECTOR,
    distinct.map(({ id, event }) => ({ id, aggregateId: event.aggregateId, version: event.version })),
  );
  const candidates = distinct.filter(({ id }) => fresh.has(id)).map(({ contribution }) => contribution);
  const changes = await replaceContributions(executor, LIVE_TABLES, candidates);
  await writeReportChanges(executor, LIVE_TABLES, changes);
  return { received: events.length, redelivered: events.length - fresh.size, ordersChanged: changes.length };
}
