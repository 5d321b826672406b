import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { expectProblem, newOrderBody, type ApiClient } from '../api/client';
import type { OrderView } from '../../src/domain/orders/view';
import { MAX_ORDER_LINES } from '../../src/domain/orders/validate';
import { openStoreFixture, type StoreFixture } from '../fixtures/store';
import { startSecuredApi, storeCounts, type SecuredApi } from './api';

/**
 * Bounded work per request, against the real store: idempotency keys scoped by principal (and a reused key
 * with another body refused), the line limit after any change, the size of one integration event checked at
 * write time, payments checked against their order, the history a page at a time, and a request that does
 * not arrive in time. Every refused command stores nothing.
 */

const MAX_EVENT_BYTES = 32_768;
let fx: StoreFixture;
let api: SecuredApi;
let admin: ApiClient;

beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  api = await startSecuredApi(fx, { requestTimeoutMs: 1_000, config: { maxEventBytes: MAX_EVENT_BYTES } });
  admin = api.asRole('admin');
});

afterAll(async () => {
  await api?.close();
  await fx?.close();
});

const line = (i: number, name = 'Widget') => ({ sku: `SKU-${i}`, name, quantity: 1, unitPrice: 100 });
const customerBody = (id: string) => newOrderBody({ customer: { id, name: id, email: `${id}@example.com` } });

async function newOrder(client: ApiClient, body = newOrderBody()): Promise<OrderView> {
  const response = await client.post('/orders', body);
  expect(response.statusCode).toBe(201);
  return response.json<OrderView>();
}

describe('idempotency keys belong to their principal', () => {
  it('one key used by two customers places two orders, each replayed to its own customer only', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const [alice, bob] = [api.asRole('customer', 'c-idem-a'), api.asRole('customer', 'c-idem-b')];
    const first = await alice.post('/orders', customerBody('c-idem-a'), key);
    const second = await bob.post('/orders', customerBody('c-idem-b'), key);
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.json<OrderView>().id).not.toBe(first.json<OrderView>().id);
    expect(second.headers['idempotent-replayed']).toBeUndefined();

    const retry = await bob.post('/orders', customerBody('c-idem-b'), key);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(second.json());
  });

  it('the same key with another body: 422 problem+json, nothing stored', async () => {
    const key = { 'idempotency-key': randomUUID() };
    await newOrder(admin, newOrderBody());
    expect((await admin.post('/orders', newOrderBody(), key)).statusCode).toBe(201);
    const before = await storeCounts(fx);
    const reused = await admin.post('/orders', newOrderBody({ currency: 'USD' }), key);
    expectProblem(reused, 422, '/problems/input.key_reused');
    expect(await storeCounts(fx)).toEqual(before);
  });
});

describe('an order stays bounded', () => {
  it(`grows to ${MAX_ORDER_LINES} lines and no further: 422, nothing stored`, async () => {
    const order = await newOrder(
      admin,
      newOrderBody({ lines: [{ sku: 'S', name: 'n', quantity: 1, unitPrice: 1 }] }),
    );
    for (let i = 1; i < MAX_ORDER_LINES; i++) {
      expect((await admin.post(`/orders/${order.id}/lines`, line(i, 'w'))).statusCode).toBe(200);
    }
    const before = await storeCounts(fx);
    const refused = await admin.post(`/orders/${order.id}/lines`, line(MAX_ORDER_LINES, 'w'));
    expect(expectProblem(refused, 422, '/problems/domain.rule').detail).toMatch(/the most an order may have/);
    expect(await storeCounts(fx)).toEqual(before);
  }, 60_000);

  it('an event larger than MAX_EVENT_BYTES is refused when written: 422, nothing stored', async () => {
    const order = await newOrder(admin);
    const long = 'x'.repeat(200); // the longest name a line may have
    let refused;
    for (let i = 2; i < MAX_ORDER_LINES && !refused; i++) {
      const response = await admin.post(`/orders/${order.id}/lines`, line(i, long));
      if (response.statusCode !== 200) refused = response;
    }
    expect(refused).toBeDefined();
    const before = await storeCounts(fx);
    const problem = expectProblem(refused!, 422, '/problems/domain.rule');
    expect(problem.detail).toMatch(new RegExp(`more than the ${MAX_EVENT_BYTES} one event may have`));
    expect((await admin.post(`/orders/${order.id}/lines`, line(99, long))).statusCode).toBe(422);
    expect(await storeCounts(fx)).toEqual(before);
  });
});

describe('payments are checked against their order', () => {
  const pay = (orderId: string, body: Record<string, unknown>) =>
    api.asRole('finance').post(`/orders/${orderId}/payments`, { method: 'card', ...body });

  it('another currency, more than is due, or a cancelled order: 422, nothing stored', async () => {
    const order = await newOrder(admin); // 2 × 1250 EUR
    const cancelled = await newOrder(admin);
    await admin.post(`/orders/${cancelled.id}/cancel`, { reason: 'test' });
    const before = await storeCounts(fx);
    const refusals = [
      [await pay(order.id, { amount: 100, currency: 'USD' }), /does not match order currency EUR/],
      [await pay(order.id, { amount: 2501, currency: 'EUR' }), /exceeds the 2500 still due/],
      [await pay(cancelled.id, { amount: 100, currency: 'EUR' }), /is cancelled/],
    ] as const;
    for (const [response, detail] of refusals) {
      expect(expectProblem(response, 422, '/problems/domain.rule').detail).toMatch(detail);
    }
    expect(await storeCounts(fx)).toEqual(before);
  });

  it('what is due shrinks with each payment and grows with a refund', async () => {
    const order = await newOrder(admin);
    expect((await pay(order.id, { amount: 2000, currency: 'EUR' })).statusCode).toBe(201);
    expectProblem(await pay(order.id, { amount: 501, currency: 'EUR' }), 422, '/problems/domain.rule');
    const last = await pay(order.id, { amount: 500, currency: 'EUR' });
    expect(last.statusCode).toBe(201);
    const refund = { amount: 200, currency: 'EUR', reason: 'damaged' };
    const paymentId = last.json<{ id: string }>().id;
    expect((await api.asRole('finance').post(`/payments/${paymentId}/refunds`, refund)).statusCode).toBe(200);
    expect((await pay(order.id, { amount: 200, currency: 'EUR' })).statusCode).toBe(201);
  });

  it('two concurrent payments cannot both take the last amount due', async () => {
    const order = await newOrder(admin);
    const answers = await Promise.all([1, 2, 3].map(() => pay(order.id, { amount: 2500, currency: 'EUR' })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 422, 422]);
  });
});

describe('the history comes a page at a time', () => {
  it('pages follow `next` until the last, which carries the ETag', async () => {
    const order = await newOrder(admin);
    for (let i = 2; i <= 5; i++) await admin.post(`/orders/${order.id}/lines`, line(i));
    const versions: number[] = [];
    let path: string | undefined = `/orders/${order.id}/history?limit=2`;
    let pages = 0;
    while (path) {
      const response = await admin.get(path);
      expect(response.statusCode).toBe(200);
      const page = response.json<{ events: { version: number }[]; next?: string }>();
      versions.push(...page.events.map((e) => e.version));
      pages++;
      if (!page.next) expect(response.headers.etag).toBe('"5"');
      path = page.next;
    }
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
  });

  it('a page size over 100 is bad input', async () => {
    const order = await newOrder(admin);
    expectProblem(await admin.get(`/orders/${order.id}/history?limit=101`), 400, '/problems/input.invalid');
  });
});

describe('a request that does not arrive in time', () => {
  it('gets 408 problem+json and its connection is closed', async () => {
    const url = new URL(api.baseUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'); // never ends
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('the server kept the connection')), 10_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/application\/problem\+json/);
    expect(answer).toMatch(/HTTP_REQUEST_TIMEOUT_MS/);
  }, 15_000);
});
