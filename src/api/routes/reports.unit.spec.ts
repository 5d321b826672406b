import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../errors';
import type {
  CustomerReport,
  DailyReportQuery,
  DailyReportRow,
  ReportQueries,
  TopSkuRow,
  TopSkusQuery,
} from '../../projections/reporting';
import type { Freshness } from '../../projections/types';
import { buildApp } from '../app';
import { startServer } from '../server';
import { ApiClient, errorPaths, expectProblem, FakeOrderService } from '../../../test/api';
import { reportRoutes } from './reports';
import { TestIssuer } from '../../../test/fixtures/auth';

/** The HTTP face of the reporting read model, with fake report queries behind it. */

const FRESHNESS: Freshness = {
  lastEventAt: '2026-11-23T10:00:00.000Z',
  lastAppliedAt: '2026-11-23T10:00:00.250Z',
  lagMessages: 3,
  lagMs: 420,
};

const DAILY: DailyReportRow[] = [
  { day: '2026-11-02', status: 'confirmed', currency: 'EUR', orders: 3, revenue: 12_500 },
  { day: '2026-11-02', status: 'pending', currency: 'EUR', orders: 1, revenue: 990 },
];

const CUSTOMER: CustomerReport = {
  customerId: 'c-1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  totals: [
    {
      currency: 'EUR',
      orders: 4,
      pendingOrders: 1,
      confirmedOrders: 2,
      cancelledOrders: 1,
      lifetimeRevenue: 9_007_199_254_740_991,
      firstOrderAt: '2026-11-01T08:00:00.000Z',
      lastOrderAt: '2026-11-20T08:00:00.000Z',
    },
  ],
};

const SKUS: TopSkuRow[] = [
  { sku: 'sku-a', currency: 'EUR', name: 'Widget', quantity: 12, revenue: 3000, orders: 5 },
];

let app: FastifyInstance;
let baseUrl: string;
const issuer = new TestIssuer();
const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));
const asked: { daily: DailyReportQuery[]; customer: string[]; topSkus: TopSkusQuery[] } = {
  daily: [],
  customer: [],
  topSkus: [],
};
let failure: Error | undefined;

const fake: ReportQueries = {
  async daily(query) {
    asked.daily.push(query);
    if (failure) throw failure;
    return DAILY;
  },
  async customer(customerId) {
    asked.customer.push(customerId);
    return customerId === CUSTOMER.customerId ? CUSTOMER : null;
  },
  async topSkus(query) {
    asked.topSkus.push(query);
    return SKUS;
  },
};

beforeAll(async () => {
  app = buildApp({
    authenticator: issuer.authenticator(),
    service: new FakeOrderService(),
    swaggerUi: false,
  });
  void app.register(reportRoutes, { reports: fake, freshness: async () => FRESHNESS });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  asked.daily.length = 0;
  asked.customer.length = 0;
  asked.topSkus.length = 0;
  failure = undefined;
});

const nothingAsked = () => expect(asked).toEqual({ daily: [], customer: [], topSkus: [] });

describe('GET /reports/daily', () => {
  it('answers the rows of the range with the freshness of the read model', async () => {
    const response = await client.get('/reports/daily?from=2026-11-01&to=2026-11-30');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      currency: null,
      rows: DAILY,
      freshness: FRESHNESS,
    });
    expect(asked.daily).toEqual([{ from: '2026-11-01', to: '2026-11-30', currency: undefined }]);
  });

  it('passes a currency on, and accepts a single day and a whole leap year (366 days)', async () => {
    expect((await client.get('/reports/daily?from=2026-11-02&to=2026-11-02&currency=USD')).statusCode).toBe(
      200,
    );
    expect((await client.get('/reports/daily?from=2028-01-01&to=2028-12-31')).statusCode).toBe(200);
    expect(asked.daily[0]).toEqual({ from: '2026-11-02', to: '2026-11-02', currency: 'USD' });
  });

  it.each([
    ['no from', 'to=2026-11-30', 'query.from'],
    ['no to', 'from=2026-11-01', 'query.to'],
    ['a from that is not a date', 'from=yesterday&to=2026-11-30', 'query.from'],
    ['a date with a time', 'from=2026-11-01T00:00:00Z&to=2026-11-30', 'query.from'],
    ['a day that does not exist', 'from=2026-02-29&to=2026-03-01', 'query.from'],
    ['to before from', 'from=2026-11-30&to=2026-11-01', 'query.to'],
    ['a range of 367 days', 'from=2026-01-01&to=2027-01-02', 'query.to'],
    ['a lower-case currency', 'from=2026-11-01&to=2026-11-30&currency=eur', 'query.currency'],
    ['an unknown parameter', 'from=2026-11-01&to=2026-11-30&status=pending', 'query.status'],
    ['a repeated parameter', 'from=2026-11-01&from=2026-11-02&to=2026-11-30', 'query.from'],
  ])('%s is a 400 problem naming the parameter, and nothing is read', async (_, query, path) => {
    const problem = expectProblem(
      await client.get(`/reports/daily?${query}`),
      400,
      '/problems/input.invalid',
    );
    expect(errorPaths(problem)).toContain(path);
    nothingAsked();
  });

  it('an unavailable database is a 503 problem that reveals nothing internal', async () => {
    failure = new TributaryError('infra.unavailable', 'connect ECONNREFUSED 10.1.2.3:5432', {
      retriable: true,
    });
    const problem = expectProblem(
      await client.get('/reports/daily?from=2026-11-01&to=2026-11-30'),
      503,
      '/problems/infra.unavailable',
    );
    expect(JSON.stringify(problem)).not.toContain('10.1.2.3');
  });
});

describe('GET /reports/customers/:id', () => {
  it("answers the customer's totals per currency with the freshness of the read model", async () => {
    const response = await client.get('/reports/customers/c-1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...CUSTOMER, freshness: FRESHNESS });
  });

  it('an unknown customer is a 404 problem that says how far the read model got', async () => {
    const problem = expectProblem(
      await client.get('/reports/customers/nobody'),
      404,
      '/problems/store.not_found',
    );
    expect(problem.detail).toContain('nobody');
    expect(problem.detail).toContain(FRESHNESS.lastEventAt);
  });

  it('passes an encoded id on decoded', async () => {
    await client.get(`/reports/customers/${encodeURIComponent('a b/c')}`);
    expect(asked.customer).toEqual(['a b/c']);
  });

  it('an id over 200 characters is a 400 problem+json naming params.id, and nothing is read', async () => {
    const response = await client.get(`/reports/customers/${'x'.repeat(201)}`);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(response.json())).toContain('params.id');
    nothingAsked();
  });
});

describe('GET /reports/top-skus', () => {
  it('answers the top 10 by quantity over all currencies by default, with the freshness of the read model', async () => {
    const response = await client.get('/reports/top-skus');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      by: 'quantity',
      limit: 10,
      currency: null,
      skus: SKUS,
      freshness: FRESHNESS,
    });
    expect(asked.topSkus).toEqual([{ limit: 10, by: 'quantity', currency: undefined }]);
  });

  it('passes limit, currency and ranking on', async () => {
    const response = await client.get('/reports/top-skus?limit=100&currency=GBP&by=revenue');
    expect(response.json()).toEqual(expect.objectContaining({ by: 'revenue', limit: 100, currency: 'GBP' }));
    expect(asked.topSkus).toEqual([{ limit: 100, by: 'revenue', currency: 'GBP' }]);
  });

  it.each([
    ['limit 0', 'limit=0', 'query.limit'],
    ['limit 101', 'limit=101', 'query.limit'],
    ['a limit that is not a number', 'limit=ten', 'query.limit'],
    ['a negative limit', 'limit=-1', 'query.limit'],
    ['an unknown ranking', 'by=price', 'query.by'],
    ['a currency of two letters', 'currency=EU', 'query.currency'],
    ['an unknown parameter', 'offset=10', 'query.offset'],
  ])('%s is a 400 problem naming the parameter, and nothing is read', async (_, query, path) => {
    const problem = expectProblem(
      await client.get(`/reports/top-skus?${query}`),
      400,
      '/problems/input.invalid',
    );
    expect(errorPaths(problem)).toContain(path);
    nothingAsked();
  });

  it('every invalid parameter is reported at once', async () => {
    const problem = expectProblem(await client.get('/reports/top-skus?limit=0&by=price&currency=x'), 400);
    expect(errorPaths(problem).sort()).toEqual(['query.by', 'query.currency', 'query.limit']);
  });
});

it('the OpenAPI document describes the three routes under the reports tag', async () => {
  const document = (await client.get('/docs/json')).json<{
    paths: Record<string, { get?: { tags?: string[]; parameters?: { name: string }[] } }>;
  }>();
  for (const path of ['/reports/daily', '/reports/customers/{id}', '/reports/top-skus']) {
    expect(document.paths[path]?.get?.tags).toEqual(['reports']);
  }
  expect(document.paths['/reports/daily']?.get?.parameters?.map((p) => p.name)).toEqual(
    expect.arrayContaining(['from', 'to', 'currency']),
  );
});
