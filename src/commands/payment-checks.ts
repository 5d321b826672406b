import type { Executor } from '../db/executor';
import type { Order } from '../domain/orders/state';
import { requirePayable, type RecordPayment } from '../domain/payments';
import { TributaryError } from '../errors';

/**
 * A new payment checked against its order (src/domain/payments/against-order.ts), in the transaction that
 * records it. Payments of one order are recorded one at a time (a transaction-scoped advisory lock on the
 * order), so two concurrent payments cannot both take the last amount due.
 */

const LOCK_ORDER_PAYMENTS_SQL = `select pg_advisory_xact_lock(hashtextextended('payments of order ' || $1, 0))`;

/** The order's current version (null: no such order), and what its payments hold: recorded less refunded. */
const PAID_SQL = `
with recorded as (
  select stream_id, (data->>'amount')::bigint as amount
    from events
   where event_type = 'PaymentRecorded' and data->>'orderId' = $1
)
select (select version from streams where stream_id = $2) as version,
       (coalesce((select sum(amount) from recorded), 0)
      - coalesce((select sum((data->>'amount')::bigint) from events
                   where event_type = 'PaymentRefunded' and stream_id in (select stream_id from recorded)), 0)
       )::bigint as paid`;

/**
 * The state of an order at `version` (its current one), inside the caller's transaction: from the state
 * cache when it holds that version, else loaded.
 */
export type OrderAt = (executor: Executor, version: number) => Promise<Order | undefined>;

export async function checkPaymentAgainstOrder(
  executor: Executor,
  command: RecordPayment,
  orderStreamId: string,
  orderAt: OrderAt,
): Promise<void> {
  await executor.query(LOCK_ORDER_PAYMENTS_SQL, [command.orderId]);
  const [row] = await executor.query<{ version: string | null; paid: string }>(PAID_SQL, [
    command.orderId,
    orderStreamId,
  ]);
  const order = row?.version == null ? undefined : await orderAt(executor, Number(row.version));
  if (!order) {
    throw new TributaryError('store.not_found', `Order ${command.orderId} does not exist.`, {
      details: { orderId: command.orderId },
    });
  }
  requirePayable(order, command, Number(row?.paid ?? 0));
}
