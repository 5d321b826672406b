import { relative } from 'node:path';
import type { Config } from '../config';
import type { OrderView } from '../domain/orders/view';
import type { Freshness } from '../projections/types';
import { SEARCH_WORD } from './catalog';
import { curlCredential } from './credentials';
import { detailOf, type DemoApi } from './http';
import type { PipelineLag } from './pipeline';
import type { TrackedOrder } from './shop';
import { heading, money } from './format';
import { fulfilmentSections, type FulfilmentTourContext } from './tour-fulfilment';

/**
 * The tour printed after the workload: every answer comes from the HTTP API (or, for the lag, from what
 * `relay status` and Kafka's consumer groups report), so what it shows is what a user can ask for too.
 */

export interface TourContext extends FulfilmentTourContext {
  config: Config;
  api: DemoApi;
  orders: ReadonlyMap<string, TrackedOrder>;
  /** When the workload started: the first day of the report. */
  since: Date;
  /** How long after the last answered command both read models held it. */
  caughtUpMs: number;
  lag(): Promise<PipelineLag>;
  logDir: string;
  /** Settings `verify` takes to run as its own Elasticsearch user, e.g. `ELASTICSEARCH_USERNAME=…` (or none). */
  verifySettings?: string;
  say(line: string): void;
}

type SearchAnswer = {
  total: number;
  orders: OrderView[];
  facets: { status: Record<string, number>; currency: Record<string, number> };
  freshness: Freshness;
};
type DailyAnswer = {
  rows: { day: string; status: string; currency: string; orders: number; revenue: number }[];
  freshness: Freshness;
};
type TopSkusAnswer = {
  skus: { sku: string; currency: string; name: string; quantity: number; revenue: number }[];
};
type HistoryAnswer = {
  events: { version: number; type: string; data: Record<string, unknown>; occurredAt: string }[];
};

const counts = (facet: Record<string, number>) =>
  Object.entries(facet)
    .map(([value, count]) => `${value} ${count}`)
    .join(' · ');
const lines = (count: number) => `${count} ${count === 1 ? 'line' : 'lines'}`;
const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

export async function runTour(ctx: TourContext): Promise<void> {
  const search = await searchSection(ctx);
  const reports = await reportSection(ctx);
  await historySection(ctx);
  await fulfilmentSections(ctx);
  await lagSection(ctx, search, reports);
  nextSteps(ctx);
}

async function searchSection({ api, say }: TourContext): Promise<Freshness> {
  const path = `/search/orders?q=${SEARCH_WORD}&status=confirmed&size=3`;
  heading(say, `Search: GET ${path}`);
  const answer = await api.getOk<SearchAnswer>(path);
  say(`   ${answer.total} confirmed orders mention "${SEARCH_WORD}"`);
  say(`   facets: ${counts(answer.facets.status)} | ${counts(answer.facets.currency)}`);
  for (const order of answer.orders) {
    const items = order.lines.map((line) => `${line.name} ×${line.quantity}`).join(', ');
    say(
      `   ${order.id}  ${order.customer.name.padEnd(20)} ${money(order.totalAmount, order.currency).padStart(12)}  ${clip(items, 60)}`,
    );
  }
  return answer.freshness;
}

async function reportSection({ api, since, say }: TourContext): Promise<Freshness | undefined> {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const path = `/reports/daily?from=${day(since)}&to=${day(new Date())}`;
  heading(say, `Report: GET ${path}`);
  const daily = await api.get<DailyAnswer>(path);
  if (daily.status === 404) {
    say(`   this API does not serve the reports (404: ${detailOf(daily)})`);
    return undefined;
  }
  if (daily.status !== 200) throw new Error(`GET ${path} answered ${daily.status}: ${detailOf(daily)}`);
  say(`   ${'day'.padEnd(10)}  ${'status'.padEnd(9)}  orders  ${'revenue'.padStart(14)}`);
  for (const row of daily.body.rows) {
    say(
      `   ${row.day}  ${row.status.padEnd(9)}  ${String(row.orders).padStart(6)}  ${money(row.revenue, row.currency).padStart(14)}`,
    );
  }
  const topPath = '/reports/top-skus?limit=5&by=revenue&currency=EUR';
  heading(say, `Top sellers: GET ${topPath}`);
  const top = await api.getOk<TopSkusAnswer>(topPath);
  for (const sku of top.skus) {
    say(
      `   ${sku.sku.padEnd(14)} ${clip(sku.name, 34).padEnd(34)} ${String(sku.quantity).padStart(5)} sold  ${money(sku.revenue, sku.currency).padStart(14)}`,
    );
  }
  return daily.body.freshness;
}

/** An order with a few changes worth showing: confirmed if possible, at most a screenful of events. */
function interestingOrder(orders: ReadonlyMap<string, TrackedOrder>): TrackedOrder | undefined {
  const all = [...orders.values()].filter((o) => o.version >= 2 && o.version <= 7);
  const score = (o: TrackedOrder) => (o.status === 'confirmed' ? 10 : 0) + Math.min(o.version, 5);
  return all.sort((a, b) => score(b) - score(a))[0] ?? orders.values().next().value;
}

function describeEvent(type: string, data: Record<string, unknown>, currency: string): string {
  const line = data.line as { name: string; quantity: number; unitPrice: number } | undefined;
  switch (type) {
    case 'OrderCreated': {
      const placed = data.lines as { quantity: number; unitPrice: number }[];
      const total = placed.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
      const customer = data.customer as { name: string };
      return `${customer.name}, ${lines(placed.length)}, ${money(total, currency)}, via ${String(data.salesChannel)}`;
    }
    case 'OrderLineAdded':
      return `+ ${line!.name} ×${line!.quantity} (${money(line!.quantity * line!.unitPrice, currency)})`;
    case 'OrderLineRemoved':
      return `− ${String(data.sku)}`;
    case 'OrderCancelled':
      return `"${String(data.reason)}"`;
    default:
      return '';
  }
}

const stateOf = (order: OrderView) =>
  `version ${order.version} · ${order.status} · ${lines(order.lines.length)} · ${money(order.totalAmount, order.currency)}`;

async function historySection({ api, orders, say }: TourContext): Promise<void> {
  const picked = interestingOrder(orders);
  if (!picked) return;
  const path = `/orders/${picked.id}/history`;
  heading(say, `History of one order: GET ${path}`);
  const { events } = await api.getOk<HistoryAnswer>(path);
  for (const event of events) {
    const what = describeEvent(event.type, event.data, picked.currency);
    say(`   v${event.version}  ${event.occurredAt}  ${event.type.padEnd(16)}  ${what}`.trimEnd());
  }
  // Halfway between the first two events: the order as it was right after it was placed.
  const [first, second] = events;
  const middle = second
    ? (Date.parse(first!.occurredAt) + Date.parse(second.occurredAt)) / 2
    : Date.parse(first!.occurredAt);
  const asOfPath = `/orders/${picked.id}?asOf=${new Date(Math.floor(middle)).toISOString()}`;
  heading(say, `As of an earlier time: GET ${asOfPath}`);
  const then = await api.getOk<OrderView>(asOfPath);
  const now = await api.getOk<OrderView>(`/orders/${picked.id}`);
  say(`   then: ${stateOf(then)}`);
  say(`   now:  ${stateOf(now)}`);
}

function describeFreshness(freshness: Freshness | undefined): string {
  if (!freshness) return 'freshness: not served';
  return `freshness: newest event applied ${freshness.lastEventAt ?? '-'}, lag ${freshness.lagMs ?? '-'} ms`;
}

async function lagSection(
  { lag, caughtUpMs, say }: TourContext,
  search: Freshness,
  reports: Freshness | undefined,
): Promise<void> {
  heading(say, 'Pipeline lag');
  const { slot, groups } = await lag();
  say(
    slot
      ? `   relay      slot ${slot.slotName} ${slot.active ? 'active' : 'inactive'} · ${slot.lagBytes} bytes of WAL not yet confirmed`
      : '   relay      no slot',
  );
  for (const group of groups) {
    const freshness = group.name === 'search' ? search : reports;
    say(
      `   ${group.name.padEnd(10)} ${group.messages} messages behind on Kafka (group ${group.groupId}) · ${describeFreshness(freshness)}`,
    );
  }
  say(
    `   end to end: the last command was in both read models ${(caughtUpMs / 1000).toFixed(1)} s after its answer`,
  );
}

function nextSteps({ config, api, logDir, verifySettings, say }: TourContext): void {
  const host = config.metricsHost;
  const metrics = [
    ['relay', config.relayMetricsPort],
    ['search', config.searchMetricsPort],
    ['reporting', config.reportingMetricsPort],
    ['saga', config.sagaMetricsPort],
  ].filter(([, port]) => port !== 0);
  heading(say, 'Try next');
  say(`   API        ${api.baseUrl} — OpenAPI (Swagger UI) at ${api.baseUrl}/docs`);
  say(
    `   metrics    ${metrics.map(([name, port]) => `http://${host}:${port}/metrics (${name})`).join(' · ')}`,
  );
  const { setup, option } = curlCredential(config);
  if (setup !== undefined) say(`   ${setup}   # roles: customer, support, finance, admin`);
  say(`   curl -s ${option}'${api.baseUrl}/search/orders?q=earl+grey&status=pending'`);
  say(`   curl -s ${option}'${api.baseUrl}/reports/top-skus?by=quantity'`);
  const commands = [
    ['verify', 'compare Kafka and both read models with the event store'],
    ['dead-letters list', 'what the projectors could not apply, and why'],
    ['rebuild search', 'rebuild the search index from the event store, without downtime'],
    ['relay status', "the relay slot's position and lag"],
    ['saga show ORDER_ID', "an order's saga: state, steps with times, compensations"],
    ['stack status', 'the services and their health'],
  ];
  for (const [command, what] of commands) say(`   ${`npm run tributary -- ${command}`.padEnd(40)} ${what}`);
  if (verifySettings)
    say(`   (verify as its read-only Elasticsearch user: ${verifySettings} npm run tributary -- verify)`);
  const shown = relative(process.cwd(), logDir);
  const folder = shown === '' ? '.' : shown.startsWith('..') ? logDir : shown;
  say(`   logs       ${folder}/demo-{api,relay,search,reporting,gateway,saga}.log`);
}
