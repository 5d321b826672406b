import type { StockView } from '../domain/inventory/view';
import type { Fulfilment, SagaStep } from '../saga';
import { PRODUCTS } from './catalog';
import { heading, money } from './format';
import type { DemoApi } from './http';
import type { TourOrders } from './fulfilment';

/**
 * The tour's fulfilment sections: the saga's steps of the tour's two orders (one completed, one compensated
 * after the gateway declined its capture), their histories with who did what and why, the gateway's counts,
 * and the stock every SKU has left.
 */

export interface FulfilmentTourContext {
  api: DemoApi;
  tourOrders: TourOrders;
  /** Units of each SKU received before the workload. */
  received: number;
  /** Each SKU's units on hand right after that receipt. */
  afterReceipt: ReadonlyMap<string, number>;
  gatewayStats(): Promise<Record<string, number>>;
  say(line: string): void;
}

type HistoryAnswer = {
  events: {
    version: number;
    eventId: string;
    type: string;
    data: Record<string, unknown>;
    metadata: { actor?: string; causationId?: string };
    occurredAt: string;
  }[];
};

/** One step's detail in a few words. */
export function describeStep({ step, detail }: SagaStep, currency: string): string {
  const d = detail ?? {};
  switch (step) {
    case 'started':
      return money(Number(d.amount), currency);
    case 'reserve':
      return `${String(d.sku)} ×${String(d.quantity)}${d.why ? ` — ${String(d.why)}` : ''}`;
    case 'capture':
      return `${String(d.status ?? 'retrying')}${d.why ? `: ${String(d.why)}` : ''}`;
    case 'record-payment':
      return `payment ${String(d.paymentId)}`;
    case 'commit-reservations':
      return (d.skus as string[]).join(', ');
    case 'release':
      return String(d.sku);
    case 'cancel-order':
      return `"${String(d.reason)}"`;
    default:
      return detail ? JSON.stringify(detail) : '';
  }
}

async function fulfilmentOf(ctx: FulfilmentTourContext, orderId: string, title: string): Promise<void> {
  const path = `/orders/${orderId}/fulfilment`;
  heading(ctx.say, `${title}: GET ${path}`);
  const saga = await ctx.api.getOk<Fulfilment>(path);
  const seconds = (Date.parse(saga.updatedAt) - Date.parse(saga.startedAt)) / 1000;
  const reason = saga.reason === null ? '' : ` · reason "${saga.reason}"`;
  ctx.say(`   ${saga.state} · ${money(saga.amount, saga.currency)} · ${seconds.toFixed(3)} s${reason}`);
  const start = Date.parse(saga.startedAt);
  for (const step of saga.steps) {
    const after = `+${((Date.parse(step.at) - start) / 1000).toFixed(3)} s`;
    const what = describeStep(step, saga.currency);
    ctx.say(
      `   ${step.at}  ${after.padStart(9)}  ${step.step.padEnd(19)}  ${step.outcome.padEnd(12)}  ${what}`.trimEnd(),
    );
  }
}

async function historyOf(ctx: FulfilmentTourContext, orderId: string): Promise<void> {
  const path = `/orders/${orderId}/history`;
  heading(ctx.say, `Its history, with who did what and why: GET ${path}`);
  const { events } = await ctx.api.getOk<HistoryAnswer>(path);
  const byId = new Map(events.map((event) => [event.eventId, event]));
  for (const event of events) {
    const cause = event.metadata.causationId;
    const causedBy = cause === undefined ? undefined : byId.get(cause);
    const why =
      cause === undefined
        ? ''
        : ` · caused by ${causedBy ? `v${causedBy.version} ${causedBy.type} ` : ''}${cause}`;
    const reason = event.type === 'OrderCancelled' ? ` "${String(event.data.reason)}"` : '';
    ctx.say(
      `   v${event.version}  ${event.occurredAt}  ${event.type.padEnd(16)}  by ${event.metadata.actor ?? '-'}${why}${reason}`,
    );
  }
}

async function stockSection(ctx: FulfilmentTourContext): Promise<void> {
  heading(ctx.say, `Stock: GET /inventory/:sku (${ctx.received} units of each received before the workload)`);
  ctx.say(`   ${'sku'.padEnd(14)}  committed  on hand  reserved  available  open reservations`);
  for (const { sku } of PRODUCTS) {
    const stock = await ctx.api.getOk<StockView>(`/inventory/${encodeURIComponent(sku)}`);
    const committed = (ctx.afterReceipt.get(sku) ?? stock.onHand) - stock.onHand;
    const columns = [committed, stock.onHand, stock.reserved, stock.available, stock.openReservations];
    const widths = [9, 7, 8, 9, 17];
    ctx.say(`   ${sku.padEnd(14)}  ${columns.map((n, i) => String(n).padStart(widths[i]!)).join('  ')}`);
  }
  ctx.say('   committed: units that left the stock for orders ready to ship during this run');
}

export async function fulfilmentSections(ctx: FulfilmentTourContext): Promise<void> {
  const { completed, declined } = ctx.tourOrders;
  await fulfilmentOf(ctx, completed, 'Fulfilment of an order the saga completed');
  await historyOf(ctx, completed);
  await fulfilmentOf(ctx, declined, 'Fulfilment of an order whose payment was declined');
  await historyOf(ctx, declined);
  heading(ctx.say, "Payments: the fake gateway's GET /stats");
  const stats = await ctx.gatewayStats();
  ctx.say(
    `   ${stats.captures} captures: ${stats.captured} captured, ${stats.declined} declined; ${stats.refunds} refunds (orders cancelled while their capture was on its way)`,
  );
  await stockSection(ctx);
}
