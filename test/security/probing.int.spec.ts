import { request } from 'node:http';
import { expectProblem, newOrderBody, type ApiResponse } from '../api/client';
import { readModelsFor } from '../../src/cli/serve';
import type { OrderView } from '../../src/domain/orders/view';
import { openStoreFixture, type StoreFixture } from '../fixtures/store';
import { startSecuredApi, storeCounts, type SecuredApi } from './api';

/**
 * Inputs found by probing the running API that once reached PostgreSQL and came back as a 500: a NUL or an
 * unpaired UTF-16 surrogate in a path id (SQLSTATE 22021), the year 0000 in a date (22008). Each is now a
 * 400 problem+json naming the parameter, and nothing is stored. Framework-level errors (a malformed
 * percent-encoding, a body whose length does not match its Content-Length) answer problem+json too.
 */

let fx: StoreFixture;
let api: SecuredApi;
let order: OrderView;
const invalid = '/problems/input.invalid';

beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  api = await startSecuredApi(fx, { readModels: readModelsFor(fx.config, fx.pool, fx.env.elasticsearch()) });
  order = (await api.asRole('admin').post('/orders', newOrderBody())).json<OrderView>();
});

afterAll(async () => {
  await api?.close();
  await fx?.close();
});

const admin = () => api.asRole('admin');

describe('path ids PostgreSQL cannot hold are bad input', () => {
  it.each([
    ['a NUL', '%00'],
    ['an unpaired surrogate (UTF-8 of U+D800)', '%ED%A0%80'],
  ])('%s in an order id: 400 problem+json on reads and commands, nothing stored', async (_, bad) => {
    const before = await storeCounts(fx);
    for (const response of [
      await admin().get(`/orders/x${bad}y`),
      await admin().get(`/orders/x${bad}y/history`),
      await admin().post(`/orders/x${bad}y/cancel`, { reason: 'probe' }),
      await admin().post(`/orders/x${bad}y/lines`, { sku: 'S', name: 'n', quantity: 1, unitPrice: 1 }),
    ]) {
      expectProblem(response, 400);
    }
    expect(await storeCounts(fx)).toEqual(before);
  });
});

describe('the year 0000 is bad input, not a database error', () => {
  it.each([
    ['asOf of an order', () => `/orders/${order.id}?asOf=0000-01-01T00:00:00Z`, 'query.asOf'],
    ['createdFrom of a search', () => '/search/orders?createdFrom=0000-06-01T00:00:00Z', 'query.createdFrom'],
    ['from of a daily report', () => '/reports/daily?from=0000-01-01&to=2026-01-01', 'query.from'],
  ])('%s', async (_, url, path) => {
    const problem = expectProblem(await admin().get(url()), 400, invalid);
    expect(problem.errors?.map((error) => error.path)).toEqual([path]);
    expect(JSON.stringify(problem)).toContain('year 0001');
  });

  it('the year 0001 is still a valid asOf (an order that did not exist yet then is a 404)', async () => {
    const response = await admin().get(`/orders/${order.id}?asOf=0001-01-01T00:00:00Z`);
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

/** One raw request, so that nothing between the test and the server repairs what is sent. */
function raw(path: string, headers: Record<string, string>, body?: string): Promise<ApiResponse> {
  const url = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: body ? 'POST' : 'GET', path, headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body: text,
          json: <T>() => JSON.parse(text) as T,
        } as ApiResponse),
      );
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('framework errors answer problem+json', () => {
  it('a malformed percent-encoding in the path', async () => {
    const response = await raw('/orders/%E0%A4%A', api.issuer.headersFor('admin'));
    expectProblem(response, 400);
  });

  it('a body longer than its Content-Length (the rest is no HTTP request)', async () => {
    const before = await storeCounts(fx);
    const body = JSON.stringify(newOrderBody());
    const response = await raw(
      '/orders',
      {
        ...api.issuer.headersFor('admin'),
        'content-type': 'application/json',
        'content-length': String(body.length - 5),
      },
      body,
    );
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await storeCounts(fx)).toEqual(before);
  });
});
