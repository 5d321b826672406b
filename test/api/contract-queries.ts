import type { OrderView } from '../../src/domain/orders/view';
import { ApiClient, errorPaths, expectProblem, secondLine } from './client';

type History = {
  orderId: string;
  events: { version: number; type: string; metadata: Record<string, string> }[];
};

/** Reads: current state, as of a time or version, history; ETag is the version shown. */
export function queryContract(client: ApiClient): void {
  it('GET /orders/:id answers the current order with its version as ETag', async () => {
    const order = await client.createOrder();
    await client.post(`/orders/${order.id}/lines`, secondLine);
    const response = await client.get(`/orders/${order.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    expect(response.json<OrderView>().lines).toHaveLength(2);
  });

  it('an unknown order gets 404 problem+json', async () => {
    expectProblem(await client.get('/orders/no-such-order'), 404, '/problems/store.not_found');
    expectProblem(await client.get('/orders/no-such-order/history'), 404, '/problems/store.not_found');
  });

  it('?version= answers the order as it was at that version', async () => {
    const order = await client.createOrder();
    await client.post(`/orders/${order.id}/lines`, secondLine);
    const response = await client.get(`/orders/${order.id}?version=1`);
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"1"');
    expect(response.json<OrderView>()).toEqual(order);
    expectProblem(await client.get(`/orders/${order.id}?version=3`), 404);
  });

  it('?asOf= answers the order as it was at that business time, and 404 before it existed', async () => {
    const order = await client.createOrder();
    const confirmed = (await client.post(`/orders/${order.id}/confirm`)).json<OrderView>();
    const then = await client.get(`/orders/${order.id}?asOf=${encodeURIComponent(order.createdAt)}`);
    expect(then.json<OrderView>()).toEqual(order);
    const later = await client.get(`/orders/${order.id}?asOf=${encodeURIComponent(confirmed.updatedAt)}`);
    expect(later.json<OrderView>()).toEqual(confirmed);
    const before = new Date(Date.parse(order.createdAt) - 1).toISOString();
    expectProblem(await client.get(`/orders/${order.id}?asOf=${before}`), 404);
  });

  it.each(['yesterday', '2024-02-30T00:00:00Z', '2024-05-01T12:00:00', '2024-05-01'])(
    '?asOf=%s is not an RFC 3339 time with a zone and gets 400',
    async (asOf) => {
      const order = await client.createOrder();
      const problem = expectProblem(await client.get(`/orders/${order.id}?asOf=${asOf}`), 400);
      expect(errorPaths(problem)).toEqual(['query.asOf']);
    },
  );

  it.each(['0', '-1', 'latest', '1.5'])('?version=%s gets 400', async (version) => {
    const problem = expectProblem(await client.get(`/orders/x?version=${version}`), 400);
    expect(errorPaths(problem)).toEqual(['query.version']);
  });

  it('asOf and version together get 400, as do unknown query parameters', async () => {
    const order = await client.createOrder();
    expectProblem(await client.get(`/orders/${order.id}?version=1&asOf=2024-05-01T00:00:00Z`), 400);
    const problem = expectProblem(await client.get(`/orders/${order.id}?at=2024-05-01T00:00:00Z`), 400);
    expect(errorPaths(problem)).toEqual(['query.at']);
  });

  it('history lists every event oldest first, with correlation id, actor (the caller) and trace context', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const headers = { 'x-correlation-id': 'checkout-42', traceparent };
    const order = await client.createOrder({}, headers);
    await client.post(`/orders/${order.id}/confirm`);
    const response = await client.get(`/orders/${order.id}/history`);
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    const history = response.json<History>();
    expect(history.orderId).toBe(order.id);
    expect(history.events.map((event) => [event.version, event.type])).toEqual([
      [1, 'OrderCreated'],
      [2, 'OrderConfirmed'],
    ]);
    expect(history.events[0]?.metadata).toEqual(
      expect.objectContaining({ correlationId: 'checkout-42', actor: 'test-admin', traceparent }),
    );
  });

  it('a malformed traceparent is dropped, not stored and not rejected', async () => {
    const order = await client.createOrder({}, { traceparent: 'not-a-trace' });
    const history = (await client.get(`/orders/${order.id}/history`)).json<History>();
    expect(history.events[0]?.metadata.traceparent).toBeUndefined();
  });

  it('the correlation id is echoed, and generated when absent', async () => {
    expect((await client.get('/orders/x', { 'x-correlation-id': 'abc-1' })).headers['x-correlation-id']).toBe(
      'abc-1',
    );
    expect((await client.get('/orders/x')).headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
}
