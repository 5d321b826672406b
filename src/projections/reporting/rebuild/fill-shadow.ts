import type { Executor } from '../../../db/executor';
import type { OrderView } from '../../../domain/orders/view';
import { TributaryError } from '../../../errors';
import { contributionOf, type Contribution } from '../contribution';
import { replaceContributions } from '../replace-contributions';
import { SHADOW_TABLES } from '../tables';

function contributionOfView(view: OrderView): Contribution {
  try {
    return contributionOf(view);
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    const orderId = typeof view?.id === 'string' ? view.id : '(no id)';
    throw new TributaryError(
      'input.invalid',
      `Order ${orderId} cannot be rebuilt into the reports: ${error.message}.`,
      {
        cause: error,
        details: { orderId, field: error.details.field },
      },
    );
  }
}

/**
 * Writes a page of order views (e.g. read from the event store) into the shadow contributions; call it
 * with as many pages as needed, then `finishReportingShadow`. Version-guarded like the live projector:
 * a view older than what the shadow holds for its order changes nothing, so pages may overlap and may
 * race with the catch-up from the live tables. Returns the number of orders written.
 */
export async function fillReportingShadow(executor: Executor, views: readonly OrderView[]): Promise<number> {
  const changes = await replaceContributions(executor, SHADOW_TABLES, views.map(contributionOfView));
  return changes.length;
}
