import { TributaryError } from '../../../errors';

/**
 * The sums a delta upsert returns must stay consistent (no negative count or amount, nothing counted in
 * a row without orders). A violation means the contributions and the reports disagree: a bug or a
 * hand-edited table, never bad input, so it is `internal` and the transaction rolls back.
 */
export function checkSums(table: string, key: string, ok: boolean, sums: Record<string, unknown>): void {
  if (ok) return;
  throw new TributaryError('internal', `${table} ${key} would hold inconsistent sums`, {
    details: { table, key, sums },
  });
}
