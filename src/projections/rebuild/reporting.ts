import type { Pool } from 'pg';
import { pgExecutor } from '../../db/executor';
import type { Logger } from '../../observability';
import {
  catchUpReportingShadow,
  createReportingShadow,
  fillReportingShadow,
  finishReportingShadow,
  swapReportingTables,
} from '../reporting';
import { allOrderEvents } from './order-states';
import type { RebuildResult } from './search';

/**
 * Zero-downtime rebuild of the reporting tables from the event store:
 *  1. create empty shadow tables next to the live ones;
 *  2. fill the shadow contributions with every order folded from the store, then aggregate the shadow
 *     reports from them (the live tables keep answering and the live projector keeps writing meanwhile);
 *  3. swap in one transaction: with the live projector held off, take over from the live tables every
 *     order the projector applied at a newer version than the shadow holds, then rename shadow → live.
 * Readers see the old tables or the new ones, never a mix; events still on their way apply to the new
 * tables by the same version rules.
 */
export async function rebuildReporting(
  deps: { pool: Pool; logger?: Logger },
  options: { pageSize?: number } = {},
): Promise<RebuildResult> {
  const started = Date.now();
  const executor = pgExecutor(deps.pool);
  await createReportingShadow(executor);
  deps.logger?.info('rebuild reporting: filling shadow tables from the event store');
  let built = 0;
  for await (const events of allOrderEvents(executor, options.pageSize)) {
    built += events.length;
    await fillReportingShadow(
      executor,
      events.map((event) => event.state),
    );
  }
  await finishReportingShadow(executor);
  // Take over what the live projector applied meanwhile once outside the swap, so the swap (which holds the
  // projector off while it does the same for the last moments) stays short.
  const early = await catchUpReportingShadow(executor);
  const { caughtUp } = await swapReportingTables(deps.pool);
  deps.logger?.info({ built, caughtUp }, 'rebuild reporting: swapped');
  return { built, caughtUp: early + caughtUp, durationMs: Date.now() - started };
}
