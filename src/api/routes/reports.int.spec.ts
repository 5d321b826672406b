import type { FastifyInstance } from 'fastify';
import { interleave, randomOrderHistory } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import { createReportingProjection, createReportQueries } from '../../projections/reporting';
import { expectedReports } from '../../../test/fixtures/report-rows';
import type { Freshness } from '../../projections/types';
import { buildApp } from '../app';
import { startServer } from '../server';
import { ApiClient, FakeOrderService } from '../../../test/api';
import { reportRoutes } from './reports';
import { TestIssuer } from '../../../test/fixtures/auth';

/** The report routes on the real report queries and PostgreSQL: what the projector wrote, over HTTP. */

const FRESHNESS: Freshness = {
  lastEventAt: '2026-11-28T12:00:00.000Z',
  lastAppliedAt: null,
  lagMessages: 0,
  lagMs: 0,
};

let fx: StoreFixture;
let app: FastifyInstance;
let baseUrl: string;
const issuer = new TestIssuer();
const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));
const random = seededRandom(51);
const all = Array.from({ length: 150 }, () => randomOrderHistory(random));
const views = all.map((history) => history.at(-1)!.state);
const expected = expectedReports(views);

beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  await createReportingProjection({ pool: fx.pool }).apply(interleave(random, all));
  app = buildApp({
    authenticator: issuer.authenticator(),
    service: new FakeOrderService(),
    swaggerUi: false,
  });
  void app.register(reportRoutes, {
    reports: createReportQueries(fx.pool),
    freshness: async () => FRESHNESS,
  });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await fx?.close();
});

type Body<T> = T & { freshness: Freshness };

describe('the report routes on PostgreSQL', () => {
  it('GET /reports/daily answers every day/status/currency row the projector wrote, as JSON numbers', async () => {
    const response = await client.get('/reports/daily?from=2026-11-01&to=2026-11-30');
    expect(response.statusCode).toBe(200);
    const body = response.json<Body<{ rows: Record<string, unknown>[] }>>();
    const byKey = (rows: Record<string, unknown>[]) =>
      rows.map((row) => [row.day, row.status, row.currency, Number(row.orders), Number(row.revenue)]).sort();
    expect(byKey(body.rows)).toEqual(byKey(expected.daily));
    expect(body.rows.every((row) => typeof row.revenue === 'number')).toBe(true);
    expect(body.freshness).toEqual(FRESHNESS);
  });

  it('GET /reports/daily?currency= keeps to the currency and the range', async () => {
    const response = await client.get('/reports/daily?from=2026-11-10&to=2026-11-12&currency=USD');
    const rows = response.json<Body<{ rows: { day: string; currency: string }[] }>>().rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.every((row) => row.currency === 'USD' && row.day >= '2026-11-10' && row.day <= '2026-11-12'),
    ).toBe(true);
  });

  it("GET /reports/customers/:id answers the customer's totals; an unknown one is a 404", async () => {
    const row = expected.customers[0]!;
    const response = await client.get(`/reports/customers/${row.customer_id}`);
    expect(response.statusCode).toBe(200);
    const body =
      response.json<
        Body<{ customerId: string; totals: { currency: string; orders: number; lifetimeRevenue: number }[] }>
      >();
    expect(body.customerId).toBe(row.customer_id);
    const totals = body.totals.find((total) => total.currency === row.currency)!;
    expect(totals.orders).toBe(Number(row.orders));
    expect(totals.lifetimeRevenue).toBe(Number(row.lifetime_revenue));
    expect((await client.get('/reports/customers/no-such-customer')).statusCode).toBe(404);
  });

  it('GET /reports/top-skus ranks the SKUs by revenue within a currency', async () => {
    const response = await client.get('/reports/top-skus?by=revenue&currency=EUR&limit=3');
    const skus = response.json<Body<{ skus: { sku: string; revenue: number }[] }>>().skus;
    const eur = expected.skus
      .filter((row) => row.currency === 'EUR')
      .map((row) => ({ sku: row.sku!, revenue: Number(row.revenue) }))
      .sort((a, b) => b.revenue - a.revenue);
    expect(skus.map(({ sku, revenue }) => ({ sku, revenue }))).toEqual(eur.slice(0, 3));
  });
});
