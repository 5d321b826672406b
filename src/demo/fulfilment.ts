import { randomUUID } from 'node:crypto';
import type { Executor } from '../db/executor';
import type { OrderView } from '../domain/orders/view';
import type { StockView } from '../domain/inventory/view';
import type { Fulfilment } from '../saga';
import { isTerminal } from '../saga/types';
import { PRODUCTS, type DemoCustomer } from './catalog';
import { DEMO_DECLINE_RATE, setFaults, type DemoGateway } from './gateway';
import { unexpected, type DemoApi } from './http';
import { waitUntil } from './wait';

/**
 * What the demo does for the order-fulfilment saga, through the API as its support/admin credential: it
 * receives stock of every SKU before the workload (so confirmed orders can be reserved), places the tour's
 * two orders (one whose capture the gateway is told to decline), and waits until every saga has ended.
 */

/** The tour's own orders: one the saga completes, one whose payment the gateway declines. */
export interface TourOrders {
  completed: string;
  declined: string;
}

/** Units of each SKU received before the workload: about seven times what its confirmations reserve. */
export const stockPerSku = (commands: number): number => Math.max(100, Math.ceil(commands / 300) * 100);

/** Receives `quantity` units of every SKU; returns each SKU's units on hand right after its receipt. */
export async function receiveStock(api: DemoApi, quantity: number): Promise<Map<string, number>> {
  const onHand = new Map<string, number>();
  for (const { sku } of PRODUCTS) {
    const path = `/inventory/${encodeURIComponent(sku)}/receipts`;
    const answer = await api.request<StockView>('POST', path, { quantity });
    if (answer.status !== 200) throw unexpected('POST', path, answer);
    onHand.set(sku, answer.body.onHand);
  }
  return onHand;
}

async function post<T>(api: DemoApi, path: string, body?: unknown): Promise<T> {
  const headers = { 'idempotency-key': randomUUID() };
  const answer = await api.request<T>('POST', path, body, headers);
  if (answer.status < 200 || answer.status >= 300) throw unexpected('POST', path, answer);
  return answer.body;
}

async function placeOrder(api: DemoApi, customer: DemoCustomer, skus: string[]): Promise<string> {
  const lines = skus.map((sku, i) => {
    const { name, unitPrice } = PRODUCTS.find((p) => p.sku === sku)!;
    return { sku, name, unitPrice, quantity: i + 1 };
  });
  const body = {
    customer: { id: customer.id, name: customer.name, email: customer.email },
    lines,
    currency: customer.currency,
    salesChannel: 'web',
  };
  return (await post<OrderView>(api, '/orders', body)).id;
}

/**
 * Places the tour's two orders and confirms them, the gateway first told to decline the second one's
 * capture, and waits until the saga ended both: the tour always has one order completed and one
 * compensated. Only then does the gateway start declining a share of the other captures.
 */
export async function placeTourOrders(
  api: DemoApi,
  gateway: DemoGateway,
  customer: DemoCustomer,
  signal: AbortSignal,
): Promise<TourOrders> {
  const completed = await placeOrder(api, customer, ['TEA-EARL-GREY', 'MUG-STONE']);
  const declined = await placeOrder(api, customer, ['COF-ETHIOPIA', 'GRN-HAND']);
  await setFaults(gateway, { byOrder: { [declined]: 'decline' } });
  for (const id of [completed, declined]) await post(api, `/orders/${id}/confirm`);
  for (const id of [completed, declined]) await waitUntilEnded(api, id, signal);
  await setFaults(gateway, { declineRate: DEMO_DECLINE_RATE });
  return { completed, declined };
}

/** Waits until the order's saga ended (its fulfilment is 404 until the saga consumed the confirmation). */
async function waitUntilEnded(api: DemoApi, orderId: string, signal: AbortSignal): Promise<void> {
  const path = `/orders/${orderId}/fulfilment`;
  await waitUntil(
    `the saga to end for order ${orderId} (GET ${path})`,
    async () => {
      const answer = await api.get<Fulfilment>(path);
      if (answer.status === 404) return false;
      if (answer.status !== 200) throw unexpected('GET', path, answer);
      return isTerminal(answer.body.state);
    },
    { signal, timeoutMs: 120_000, everyMs: 100 },
  );
}

/** The database's clock now: sagas this run starts begin after it. */
export async function databaseNow(executor: Executor): Promise<string> {
  const [row] = await executor.query<{ now: string }>(`select now()::text as now`);
  return row!.now;
}

/** Sagas started since `since` and not ended yet (reserving or capturing). */
export async function runningSagas(executor: Executor, since: string): Promise<number> {
  const [row] = await executor.query<{ running: number }>(
    `select count(*)::int as running from sagas
      where state in ('reserving', 'capturing') and started_at >= $1::timestamptz`,
    [since],
  );
  return row?.running ?? 0;
}

/**
 * Waits until no saga started since `since` is reserving or capturing (call it once the saga consumed every
 * confirmation).
 */
export async function waitUntilSagasEnded(
  executor: Executor,
  since: string,
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<void> {
  await waitUntil('every saga to end', async () => (await runningSagas(executor, since)) === 0, {
    signal,
    timeoutMs,
    everyMs: 100,
  });
}

/** How many sagas started since `since` ended in each state. */
export async function sagaStates(executor: Executor, since: string): Promise<Record<string, number>> {
  const rows = await executor.query<{ state: string; sagas: number }>(
    `select state, count(*)::int as sagas from sagas where started_at >= $1::timestamptz
      group by state order by state`,
    [since],
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.sagas]));
}
