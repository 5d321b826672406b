import type { ApiClient, ApiResponse } from '../api/client';
import { expectProblem, newOrderBody } from '../api/client';
import { readModelsFor } from '../../src/cli/serve';
import type { OrderView } from '../../src/domain/orders/view';
import { orderTopic } from '../../src/contracts';
import { startPipeline, type InProcessPipeline } from '../fixtures/pipeline';
import { eventually, readUntilAll } from '../fixtures/relay';
import { openStoreFixture, type StoreFixture } from '../fixtures/store';
import { expectForbidden, startSecuredApi, storeCounts, type SecuredApi } from './api';

/**
 * Who may do what, against the whole pipeline (PostgreSQL, the relay, Kafka, both projectors, Elasticsearch):
 * two customers, Alice and Bob, each with orders, and staff in their roles. A customer never learns that
 * another customer's order exists (404, not 403), never sees another customer's orders or e-mail address in
 * search hits, totals or facets, reads no reports, and neither pays nor refunds; a refused command stores
 * nothing. The actor of each event, on Kafka too, is the caller.
 */

let fx: StoreFixture;
let pipeline: InProcessPipeline;
let api: SecuredApi;
let alice: ApiClient;
let bob: ApiClient;
let support: ApiClient;
let finance: ApiClient;
let admin: ApiClient;
const aliceOrders: OrderView[] = [];
const bobOrders: OrderView[] = [];
let bobPaymentId: string;

const BOB_EMAIL = 'bob.private@example.org';
const orderFor = (id: string, email: string, currency: string) =>
  newOrderBody({ customer: { id, name: id, email }, currency });

async function created(response: Promise<ApiResponse>): Promise<OrderView> {
  const answer = await response;
  expect(answer.statusCode).toBe(201);
  return answer.json<OrderView>();
}

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 8 });
  pipeline = await startPipeline(fx, 'authz');
  api = await startSecuredApi(fx, {
    readModels: readModelsFor(pipeline.config, fx.pool, fx.env.elasticsearch()),
  });
  [alice, bob] = [api.asRole('customer', 'c-alice'), api.asRole('customer', 'c-bob')];
  [support, finance, admin] = [api.asRole('support'), api.asRole('finance'), api.asRole('admin')];
  for (let i = 0; i < 2; i++) {
    aliceOrders.push(await created(alice.post('/orders', orderFor('c-alice', 'alice@example.com', 'EUR'))));
    bobOrders.push(await created(bob.post('/orders', orderFor('c-bob', BOB_EMAIL, 'USD'))));
  }
  for (const [client, order] of [
    [alice, aliceOrders[0]!],
    [bob, bobOrders[0]!],
  ] as const) {
    expect((await client.post(`/orders/${order.id}/confirm`)).statusCode).toBe(200);
  }
  const payment = await finance.post(`/orders/${bobOrders[0]!.id}/payments`, {
    amount: 100,
    currency: 'USD',
    method: 'card',
  });
  expect(payment.statusCode).toBe(201);
  bobPaymentId = payment.json<{ id: string }>().id;
  // Both read models hold every order before the reads are checked.
  await eventually(
    'search and reports to hold all four orders',
    async () => {
      const search = await admin.get('/search/orders');
      const report = await finance.get('/reports/customers/c-bob');
      return search.json<{ total: number }>().total === 4 && report.statusCode === 200;
    },
    60_000,
    250,
  );
}, 120_000);

afterAll(async () => {
  await api?.close();
  await pipeline?.stop();
  await fx?.close();
});

type SearchAnswer = { total: number; orders: OrderView[]; facets: Record<string, Record<string, number>> };

/** A problem without the parts that name the request. */
const comparable = (response: ApiResponse) => {
  const { instance: _instance, detail: _detail, ...rest } = response.json<Record<string, unknown>>();
  return { status: response.statusCode, ...rest };
};

describe("a customer and another customer's orders", () => {
  it("reading Bob's order, its history or its past answers Alice exactly as an order that does not exist", async () => {
    const bobs = bobOrders[0]!.id;
    const missing = await alice.get('/orders/no-such-order');
    expectProblem(missing, 404, '/problems/store.not_found');
    for (const path of [`/orders/${bobs}`, `/orders/${bobs}/history`, `/orders/${bobs}?version=1`]) {
      const response = await alice.get(path);
      expectProblem(response, 404, '/problems/store.not_found');
      expect(comparable(response)).toEqual(comparable(missing));
      expect(response.body).not.toContain(BOB_EMAIL);
    }
    expect((await bob.get(`/orders/${bobs}`)).json<OrderView>().customer.email).toBe(BOB_EMAIL);
  });

  it("changing, confirming or cancelling Bob's order: 404, and nothing stored", async () => {
    const bobs = bobOrders[1]!.id;
    const before = await storeCounts(fx);
    const line = { sku: 'SKU-9', name: 'Nine', quantity: 1, unitPrice: 900 };
    expectProblem(await alice.post(`/orders/${bobs}/lines`, line), 404);
    expectProblem(await alice.send('DELETE', `/orders/${bobs}/lines/SKU-1`), 404);
    expectProblem(await alice.post(`/orders/${bobs}/confirm`), 404);
    expectProblem(await alice.post(`/orders/${bobs}/cancel`, { reason: 'not mine' }), 404);
    expect(await storeCounts(fx)).toEqual(before);
  });

  it('placing an order for Bob: 403, and nothing stored', async () => {
    const before = await storeCounts(fx);
    expectForbidden(await alice.post('/orders', orderFor('c-bob', BOB_EMAIL, 'USD')), /own customer id/);
    expect(await storeCounts(fx)).toEqual(before);
  });

  it('paying or refunding, even her own order: 403, and nothing stored', async () => {
    const before = await storeCounts(fx);
    const payment = { amount: 100, currency: 'EUR', method: 'card' };
    expectForbidden(await alice.post(`/orders/${aliceOrders[0]!.id}/payments`, payment));
    const refund = { amount: 50, currency: 'USD', reason: 'give it to me' };
    expectForbidden(await alice.post(`/payments/${bobPaymentId}/refunds`, refund));
    expectForbidden(await bob.post(`/payments/${bobPaymentId}/refunds`, refund));
    expect(await storeCounts(fx)).toEqual(before);
  });
});

describe("search: a customer's orders only, filtered in the query", () => {
  it('hits, total and facets count her own orders only', async () => {
    const response = await alice.get('/search/orders');
    const answer = response.json<SearchAnswer>();
    expect(answer.total).toBe(2);
    expect(new Set(answer.orders.map((order) => order.customer.id))).toEqual(new Set(['c-alice']));
    expect(answer.facets.currency).toEqual({ EUR: 2 });
    expect(answer.facets.status).toEqual({ pending: 1, confirmed: 1, cancelled: 0 });
    expect(response.body).not.toContain(BOB_EMAIL);
  });

  it("asking for Bob's orders, by customer id or by his e-mail address, finds nothing", async () => {
    for (const query of ['customerId=c-bob', `q=${encodeURIComponent(BOB_EMAIL)}`, 'currency=USD']) {
      const response = await alice.get(`/search/orders?${query}`);
      expect(response.statusCode).toBe(200);
      expect(response.json<SearchAnswer>().total).toBe(0);
      expect(response.json<SearchAnswer>().facets.currency).not.toHaveProperty('USD');
      expect(response.body).not.toContain(BOB_EMAIL);
    }
  });

  it('staff search every customer', async () => {
    for (const client of [support, finance, admin]) {
      const answer = (await client.get('/search/orders')).json<SearchAnswer>();
      expect(answer.total).toBe(4);
      expect(answer.facets.currency).toEqual({ EUR: 2, USD: 2 });
    }
  });
});

describe('reports: finance and admin only', () => {
  const today = new Date().toISOString().slice(0, 10);
  const reports = [
    `/reports/daily?from=${today}&to=${today}`,
    '/reports/customers/c-bob',
    '/reports/top-skus',
  ];

  it('a customer reads no report, not even its own customer report: 403', async () => {
    for (const path of [...reports, '/reports/customers/c-alice']) expectForbidden(await alice.get(path));
  });

  it('support reads no report either: 403', async () => {
    for (const path of reports) expectForbidden(await support.get(path));
  });

  it("finance reads them, the customer's e-mail address included", async () => {
    for (const path of reports) expect((await finance.get(path)).statusCode).toBe(200);
    expect((await finance.get('/reports/customers/c-bob')).json<{ email: string }>().email).toBe(BOB_EMAIL);
  });
});

describe('staff roles', () => {
  it('support may cancel any order, but not pay for one: 403', async () => {
    const order = await created(admin.post('/orders', orderFor('c-carol', 'carol@example.com', 'EUR')));
    expectForbidden(
      await support.post(`/orders/${order.id}/payments`, { amount: 1, currency: 'EUR', method: 'card' }),
    );
    expect((await support.post(`/orders/${order.id}/cancel`, { reason: 'customer called' })).statusCode).toBe(
      200,
    );
  });

  it('finance may refund, but neither place nor cancel orders: 403', async () => {
    const refund = { amount: 10, currency: 'USD', reason: 'goodwill' };
    expect((await finance.post(`/payments/${bobPaymentId}/refunds`, refund)).statusCode).toBe(200);
    expectForbidden(await finance.post('/orders', orderFor('c-bob', BOB_EMAIL, 'USD')));
    expectForbidden(await finance.post(`/orders/${aliceOrders[1]!.id}/cancel`, { reason: 'x' }));
  });
});

describe('the actor', () => {
  it("is the caller in each event's metadata, in the history and in the CloudEvent on Kafka", async () => {
    const history = await bob.get(`/orders/${bobOrders[0]!.id}/history`);
    const actors = history
      .json<{ events: { metadata: { actor: string } }[] }>()
      .events.map((e) => e.metadata.actor);
    expect(actors).toEqual(['user-c-bob', 'user-c-bob']);
    const { rows } = await fx.pool.query<{ event_id: string; actor: string }>(
      `select event_id, metadata->>'actor' as actor from events where stream_id = $1 order by stream_version`,
      [`order-${aliceOrders[0]!.id}`],
    );
    const records = await readUntilAll(
      fx.env.kafka(),
      [orderTopic(pipeline.config)],
      rows.map((row) => row.event_id),
    );
    for (const row of rows) {
      const record = records.find((r) => r.id === row.event_id);
      expect(record?.headers.ce_actor).toBe('user-c-alice');
      expect(row.actor).toBe('user-c-alice');
    }
  });
});
