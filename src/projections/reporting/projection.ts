import type { Pool } from 'pg';
import { withTransaction } from '../../db/executor';
import type { Projection, ProjectionEvent } from '../types';
import { applyReportingEvents } from './apply';
import { REPORTING_PROJECTOR } from './tables';

export interface ReportingProjectionOptions {
  /** Connections for the projector's transactions. */
  readonly pool: Pool;
  /** Projector name: the key of its applied-event ids (default `reporting`). */
  readonly name?: string;
}

/**
 * The reporting read model as a Projection: each `apply` is one transaction that records the events'
 * ids and updates the report tables together, so an effect is applied exactly once whatever Kafka
 * redelivers. Errors come out as TributaryErrors: PostgreSQL serialization failures, deadlocks and lost
 * connections are retriable; an event whose state the reports cannot use is `input.invalid` (naming the
 * event), and anything else (a violated constraint, inconsistent sums) is non-retriable `internal`.
 */
export function createReportingProjection({
  pool,
  name = REPORTING_PROJECTOR,
}: ReportingProjectionOptions): Projection {
  return {
    name,
    async apply(events: readonly ProjectionEvent[]): Promise<void> {
      if (events.length === 0) return;
      await withTransaction(pool, (executor) => applyReportingEvents(executor, events, { projector: name }));
    },
  };
}
