import { randomUUID } from 'node:crypto';
import type { OrderView } from '../../src/domain/orders/view';
import { ApiClient, errorPaths, expectProblem, newOrderBody, secondLine } from './client';

/** Optimistic concurrency (ETag / If-Match) and idempotent retries (Idempotency-Key). */
export function concurrencyContract(client: ApiClient): void {
  it('a command with the current ETag as If-Match succeeds', async () => {
    const order = await client.createOrder();
    const response = await client.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': '"1"' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
  });

  it('a stale If-Match gets 409 problem+json, and nothing is appended', async () => {
    const order = await client.createOrder();
    await client.post(`/orders/${order.id}/lines`, secondLine);
    const stale = await client.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': '"1"' });
    expectProblem(stale, 409, '/problems/store.conflict');
    expect((await client.get(`/orders/${order.id}`)).json<OrderView>()).toEqual(
      expect.objectContaining({ status: 'pending', version: 2 }),
    );
  });

  it('If-Match * only asks that the order exists', async () => {
    const order = await client.createOrder();
    expect(
      (await client.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': '*' })).statusCode,
    ).toBe(200);
  });

  it('an If-Match on an unknown order gets 404, not 409', async () => {
    expectProblem(await client.post('/orders/no-such-order/confirm', undefined, { 'if-match': '"3"' }), 404);
  });

  it.each(['W/"1"', '1', '"one"', '"1", "2"', '"-1"'])(
    'If-Match %s is malformed and gets 400 naming the header',
    async (ifMatch) => {
      const order = await client.createOrder();
      const problem = expectProblem(
        await client.post(`/orders/${order.id}/confirm`, undefined, { 'if-match': ifMatch }),
        400,
        '/problems/input.invalid',
      );
      expect(errorPaths(problem)).toEqual(['headers.if-match']);
    },
  );

  it('If-Match on creating an order gets 400: a new order has no version to match', async () => {
    const problem = expectProblem(await client.post('/orders', newOrderBody(), { 'if-match': '"1"' }), 400);
    expect(errorPaths(problem)).toEqual(['headers.if-match']);
  });

  it('a retried create with the same Idempotency-Key returns the same status and body, and creates one order', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const first = await client.post('/orders', newOrderBody(), headers);
    const retry = await client.post('/orders', newOrderBody(), headers);
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const history = await client.get(`${first.headers.location}/history`);
    expect(history.json<{ events: unknown[] }>().events).toHaveLength(1);
  });

  it('a retried command with the same Idempotency-Key appends nothing twice', async () => {
    const order = await client.createOrder();
    const headers = { 'idempotency-key': randomUUID() };
    const first = await client.post(`/orders/${order.id}/lines`, secondLine, headers);
    const retry = await client.post(`/orders/${order.id}/lines`, secondLine, headers);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const current = (await client.get(`/orders/${order.id}`)).json<OrderView>();
    expect(current.version).toBe(2);
  });

  it('a retry carrying the If-Match of the first attempt still gets the first result, not a 409', async () => {
    const order = await client.createOrder();
    const headers = { 'idempotency-key': randomUUID(), 'if-match': '"1"' };
    const first = await client.post(`/orders/${order.id}/confirm`, undefined, headers);
    const retry = await client.post(`/orders/${order.id}/confirm`, undefined, headers);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
  });

  it('reusing an Idempotency-Key for a different request gets 422', async () => {
    const order = await client.createOrder();
    const headers = { 'idempotency-key': randomUUID() };
    await client.post(`/orders/${order.id}/lines`, secondLine, headers);
    const other = { ...secondLine, sku: 'SKU-3' };
    expectProblem(
      await client.post(`/orders/${order.id}/lines`, other, headers),
      422,
      '/problems/input.key_reused',
    );
  });
}
