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

/** What the order's payments hold now: recorded amounts less their refunds. */
const PAID_SQL = `
with recorded as (
  select stream_id, (data->>'amount')::bigint as amount
    from events
   where event_type = 'PaymentRecorded' and data->>'orderId' = $1
)
select (coalesce((select sum(amount) from recorded), 0)
      - coalesce((select sum((data->>'amount')::bigint) from events
                   where event_type = 'PaymentRefunded' and stream_id in (select stream_id from recorded)), 0)
       )::bigint as paid`;

/** Loads the current state of an order inside the caller's transaction. */
export type LoadOrder = (executor: Executor) => Promise<Order | undefined>;

export async function checkPaymentAgainstOrder(
  executor: Executor,
  command: RecordPayment,
  loadOrder: LoadOrder,
): Promise<void> {
  await executor.query(LOCK_ORDER_PAYMENTS_SQL, [command.orderId]);
  const order = await loadOrder(executor);
  if (!order) throw new TributaryError('store.not_found', `order ${command.orderId} does not exist`);
  const [row] = await executor.query<{ paid: string }>(PAID_SQL, [command.orderId]);
  requirePayable(order, command, Number(row?.paid ?? 0));
}
