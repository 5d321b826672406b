import type { FastifyInstance } from 'fastify';
import {
  createSearchProjection,
  ordersAlias,
  searchOrders,
  type SearchResult,
} from '../../projections/search';
import type { Freshness } from '../../projections/types';
import { isolate, type Isolated } from '../../../test/harness';
import { randomOrderHistory } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import { buildApp } from '../app';
import { startServer } from '../server';
import { ApiClient, expectProblem, FakeOrderService } from '../../../test/api';
import { searchRoutes } from './search';
import { TestIssuer } from '../../../test/fixtures/auth';

/** GET /search/orders over a real Elasticsearch read model, as the lead will wire it. */

const FRESHNESS: Freshness = { lastEventAt: null, lastAppliedAt: null, lagMessages: null, lagMs: null };

let isolated: Isolated;
let app: FastifyInstance;
let baseUrl: string;
const issuer = new TestIssuer();
const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));
const ORDERS = 45;

beforeAll(async () => {
  isolated = await isolate(__filename);
  const es = isolated.elasticsearch();
  const prefix = isolated.config.indexPrefix;
  const random = seededRandom(99);
  const events = Array.from({ length: ORDERS }, () => randomOrderHistory(random)).flat();
  await createSearchProjection({ es, prefix }).apply(events);
  await es.indices.refresh({ index: ordersAlias(prefix) });

  app = buildApp({
    authenticator: issuer.authenticator(),
    service: new FakeOrderService(),
    swaggerUi: false,
  });
  void app.register(searchRoutes, {
    search: (params) => searchOrders(es, prefix, params),
    freshness: async () => FRESHNESS,
  });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await isolated.cleanup();
});

type Body = SearchResult & { freshness: Freshness };

it('following nextCursor over HTTP returns every order once, each page with the freshness of the read model', async () => {
  const seen: string[] = [];
  let url: string | null = '/search/orders?size=10&sort=-totalAmount';
  while (url !== null) {
    const response = await client.get(url);
    expect(response.statusCode).toBe(200);
    const body: Body = response.json<Body>();
    expect(body.total).toBe(ORDERS);
    expect(body.freshness).toEqual(FRESHNESS);
    expect(body.facets.status).toEqual({
      pending: expect.any(Number),
      confirmed: expect.any(Number),
      cancelled: expect.any(Number),
    });
    seen.push(...body.orders.map((order) => order.id));
    url =
      body.nextCursor === null ? null : `/search/orders?size=10&sort=-totalAmount&cursor=${body.nextCursor}`;
  }
  expect(seen).toHaveLength(ORDERS);
  expect(new Set(seen).size).toBe(ORDERS);
});

it('query syntax in q is plain text (200), while a cursor of another sort is a 400', async () => {
  const response = await client.get(`/search/orders?q=${encodeURIComponent('"a AND ( <script> \\ *')}`);
  expect(response.statusCode).toBe(200);
  const first = (await client.get('/search/orders?size=1')).json<Body>();
  expectProblem(await client.get(`/search/orders?sort=createdAt&cursor=${first.nextCursor}`), 400);
});
