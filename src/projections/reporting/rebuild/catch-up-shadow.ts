import type { Executor } from '../../../db/executor';
import { replaceContributions } from '../replace-contributions';
import { CONTRIBUTION_SELECT, fromContributionRow, type ContributionRow } from '../sql/contribution-rows';
import { LIVE_TABLES, SHADOW_TABLES } from '../tables';
import { writeReportChanges } from '../write-deltas';

/**
 * Brings the finished shadow up to what the live projector applied meanwhile: every order whose live
 * contribution is newer than the shadow's (or missing from it) is written into the shadow, and the
 * difference added to the shadow reports by the same delta code the projector uses. Orders the shadow
 * holds newer than live (the store was ahead of Kafka) are kept.
 *
 * Compares the whole contributions tables (one join). Run it once before the swap to shorten the swap,
 * which runs it again while the projector is held off.
 */
export const NEWER_LIVE_CONTRIBUTIONS_SQL = `
select ${CONTRIBUTION_SELECT('l')}
from ${LIVE_TABLES.contributions} l
left join ${SHADOW_TABLES.contributions} s on s.order_id = l.order_id
where s.order_id is null or l.version > s.version
order by l.order_id`;

/** Returns the number of orders taken over from the live tables. */
export async function catchUpReportingShadow(executor: Executor): Promise<number> {
  const rows = await executor.query<ContributionRow>(NEWER_LIVE_CONTRIBUTIONS_SQL);
  const changes = await replaceContributions(executor, SHADOW_TABLES, rows.map(fromContributionRow));
  await writeReportChanges(executor, SHADOW_TABLES, changes);
  return changes.length;
}
