import type { Executor } from '../../db/executor';
import { TributaryError } from '../../errors';
import type { Contribution } from './contribution';
import { compareC, type ContributionChange } from './deltas';
import { insertNewContributions } from './sql/insert-contributions';
import { lockContributions } from './sql/lock-contributions';
import { updateContributions } from './sql/update-contributions';
import type { ReportTables } from './tables';

/**
 * Writes the newest of `candidates` for each order into the contributions of `tables`, where it is newer
 * than what the table holds (an older or equal version changes nothing: event-carried state supersedes),
 * and returns what changed, for the reports. The rows stay locked until the transaction ends, so no
 * other writer can change an order between reading its old contribution and adding the difference.
 */
export async function replaceContributions(
  executor: Executor,
  tables: ReportTables,
  candidates: readonly Contribution[],
): Promise<ContributionChange[]> {
  const newest = new Map<string, Contribution>();
  for (const candidate of candidates) {
    const seen = newest.get(candidate.orderId);
    if (seen === undefined || candidate.version > seen.version) newest.set(candidate.orderId, candidate);
  }
  const sorted = [...newest.values()].sort((a, b) => compareC(a.orderId, b.orderId));
  if (sorted.length === 0) return [];

  // The orders the table holds are locked first (in order-id order) and the others inserted, so each
  // contribution travels once. An order another writer inserted meanwhile (its insert committed while
  // this one waited) is locked afterwards and compared like the others.
  const current = await lockContributions(
    executor,
    tables,
    sorted.map((candidate) => candidate.orderId),
  );
  const fresh = sorted.filter((candidate) => !current.has(candidate.orderId));
  const inserted = await insertNewContributions(executor, tables, fresh);
  const raced = fresh.filter((candidate) => !inserted.has(candidate.orderId));
  for (const [orderId, contribution] of await lockContributions(
    executor,
    tables,
    raced.map((c) => c.orderId),
  )) {
    current.set(orderId, contribution);
  }
  const changes: ContributionChange[] = fresh
    .filter((after) => inserted.has(after.orderId))
    .map((after) => ({ before: null, after }));
  const updates: Contribution[] = [];
  for (const after of sorted) {
    if (inserted.has(after.orderId)) continue;
    const before = current.get(after.orderId);
    // Contributions are never deleted: an order the insert did not take is in the table.
    if (before === undefined) {
      throw new TributaryError('internal', `the contribution of order ${after.orderId} vanished`);
    }
    if (after.version <= before.version) continue;
    changes.push({ before, after });
    updates.push(after);
  }
  await updateContributions(executor, tables, updates);
  return changes;
}
