import type { FastifyInstance } from 'fastify';
import { TestIssuer } from '../../test/fixtures/auth';
import { buildApp } from '../api/app';
import { startServer } from '../api/server';
import { ApiClient, expectProblem, newOrderBody, type ApiResponse } from '../../test/api/client';
import { FakeOrderService } from '../../test/api/fake-order-service';
import type { OrderView } from '../domain/orders/view';
import type { SearchParams } from '../projections/search';

/**
 * Authentication and authorization as a client of the API meets them (against the in-memory service; the
 * security tests in test/security/ do the same against PostgreSQL and Elasticsearch).
 */

const issuer = new TestIssuer();
const service = new FakeOrderService();
const searched: SearchParams[] = [];
let app: FastifyInstance;
let baseUrl = '';
const anonymous = new ApiClient(() => baseUrl);
const as = (headers: Record<string, string>) => new ApiClient(() => baseUrl, headers);
const admin = as(issuer.headersFor('admin'));
const alice = as(issuer.headersFor('customer', 'alice'));
const bob = as(issuer.headersFor('customer', 'bob'));

beforeAll(async () => {
  app = buildApp({
    service,
    authenticator: issuer.authenticator(),
    swaggerUi: false,
    readModels: {
      search: {
        search: async (params) => {
          searched.push(params);
          return { total: 0, orders: [], facets: { status: {}, currency: {} }, nextCursor: null };
        },
        freshness: async () => ({ lastEventAt: null, lastAppliedAt: null, lagMessages: null, lagMs: null }),
      },
    },
  });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
});
afterAll(() => app.close());

const orderOf = (customerId: string) =>
  newOrderBody({ customer: { id: customerId, name: customerId, email: `${customerId}@example.com` } });

/** The problem body without the parts that name the request. */
const comparable = (response: ApiResponse) => {
  const { instance: _instance, detail: _detail, ...rest } = response.json<Record<string, unknown>>();
  return { status: response.statusCode, ...rest };
};

describe('authentication', () => {
  it('no credential: 401 problem+json with a WWW-Authenticate challenge', async () => {
    const response = await anonymous.get('/orders/any');
    expectProblem(response, 401, '/problems/auth.unauthenticated');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tributary"');
  });

  it('an invalid token: 401 with error="invalid_token"', async () => {
    const response = await as({ authorization: 'Bearer not.a.token' }).get('/orders/any');
    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tributary", error="invalid_token"');
  });

  it('a command without a credential is refused before its body is read: 401, not 400', async () => {
    expectProblem(await anonymous.post('/orders', '{"not json', { 'content-type': 'application/json' }), 401);
  });

  it('the OpenAPI document is public and declares the bearer and API key schemes', async () => {
    const response = await anonymous.get('/docs/json');
    expect(response.statusCode).toBe(200);
    const document = response.json<{ components: { securitySchemes: object }; security: object[] }>();
    expect(document.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(document.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
  });

  it('an unknown route is a 404 for anyone (the route table is public in /docs anyway)', async () => {
    expectProblem(await anonymous.get('/no-such-route'), 404, 'about:blank');
  });

  it('a route missing from the policy table stops the app from starting', () => {
    const other = buildApp({ service, authenticator: issuer.authenticator(), swaggerUi: false });
    expect(() => other.get('/undeclared', async () => 'open')).toThrow(/has no entry .*in the policy table/);
    void other.close();
  });
});

describe('the actor', () => {
  it('is the credential: the token subject goes into the event metadata', async () => {
    const created = await alice.post('/orders', orderOf('alice'));
    expect(created.statusCode).toBe(201);
    expect(service.calls.at(-1)?.options.metadata?.actor).toBe('user-alice');
  });

  it('X-Actor is refused with 400 problem+json, and nothing is done', async () => {
    const calls = service.calls.length;
    const response = await admin.post('/orders', orderOf('alice'), { 'x-actor': 'someone-else' });
    const problem = expectProblem(response, 400, '/problems/input.invalid');
    expect(problem.errors).toEqual([{ path: 'headers.x-actor', message: 'is not accepted' }]);
    expect(service.calls.length).toBe(calls);
  });
});

describe('authorization', () => {
  let bobsOrder: OrderView;
  beforeAll(async () => {
    bobsOrder = (await bob.post('/orders', orderOf('bob'))).json<OrderView>();
  });

  it('a role that may not: 403 problem+json, even for a malformed body', async () => {
    const payment = { amount: 1, currency: 'EUR', method: 'card' };
    expectProblem(
      await bob.post(`/orders/${bobsOrder.id}/payments`, payment),
      403,
      '/problems/auth.forbidden',
    );
    expectProblem(await bob.post(`/orders/${bobsOrder.id}/payments`, { junk: true }), 403);
    expectProblem(await as(issuer.headersFor('support')).post('/orders', orderOf('bob')), 403);
  });

  it('a customer placing an order for another customer: 403, nothing stored', async () => {
    const calls = service.calls.length;
    const problem = expectProblem(await alice.post('/orders', orderOf('bob')), 403);
    expect(problem.errors).toEqual([{ path: 'body.customer.id', message: 'must be your own customer id' }]);
    expect(service.calls.length).toBe(calls);
  });

  it("another customer's order is a 404 exactly like an order that does not exist", async () => {
    const missing = await alice.get('/orders/no-such-order');
    for (const response of [
      await alice.get(`/orders/${bobsOrder.id}`),
      await alice.get(`/orders/${bobsOrder.id}/history`),
      await alice.get(`/orders/${bobsOrder.id}?version=1`),
    ]) {
      expectProblem(response, 404, '/problems/store.not_found');
      expect(comparable(response)).toEqual(comparable(missing));
    }
    const calls = service.calls.length;
    expectProblem(await alice.post(`/orders/${bobsOrder.id}/cancel`, { reason: 'mine now' }), 404);
    expectProblem(await alice.post(`/orders/${bobsOrder.id}/confirm`), 404);
    expect(service.calls.length).toBe(calls);
  });

  it('a customer works on its own order; support may cancel it and sees the owner', async () => {
    expect((await bob.get(`/orders/${bobsOrder.id}`)).statusCode).toBe(200);
    expect((await bob.post(`/orders/${bobsOrder.id}/confirm`)).statusCode).toBe(200);
    const support = as(issuer.headersFor('support'));
    const cancelled = await support.post(`/orders/${bobsOrder.id}/cancel`, { reason: 'fraud check' });
    expect(cancelled.statusCode).toBe(200);
    const events = (await bob.get(`/orders/${bobsOrder.id}/history`)).json<{
      events: { metadata: { actor: string } }[];
    }>().events;
    expect(events.map((event) => event.metadata.actor)).toEqual(['user-bob', 'user-bob', 'staff']);
    const seenBySupport = (await support.get(`/orders/${bobsOrder.id}/history`)).json<{
      events: { metadata: { actor: string } }[];
    }>().events;
    expect(seenBySupport.at(-1)?.metadata.actor).toBe('test-support');
  });

  it("a customer's search is scoped to its own customer id; staff search everything", async () => {
    searched.length = 0;
    expect((await alice.get('/search/orders?customerId=bob')).statusCode).toBe(200);
    expect((await admin.get('/search/orders')).statusCode).toBe(200);
    expect(searched).toEqual([
      expect.objectContaining({ customerScope: 'alice', customerId: 'bob' }),
      expect.objectContaining({ customerScope: undefined }),
    ]);
  });
});
