import type { OrderView } from '../../src/domain/orders/view';
import { ApiClient, expectProblem, newOrderBody, secondLine } from './client';

/** Commands: status codes, bodies, ETag and Location, and the HTTP answer to each kind of rejection. */
export function commandContract(client: ApiClient): void {
  it('creating an order answers 201 with the order, its id and version, an ETag and a Location', async () => {
    const response = await client.post('/orders', newOrderBody());
    expect(response.statusCode).toBe(201);
    const order = response.json<OrderView>();
    expect(order).toEqual(
      expect.objectContaining({ id: expect.any(String), version: 1, status: 'pending', totalAmount: 2500 }),
    );
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe(`/orders/${order.id}`);
    expect((await client.get(`/orders/${order.id}`)).json()).toEqual(order);
  });

  it('an order id chosen by the client is the id of the new order', async () => {
    const id = `order-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const order = await client.createOrder({ id });
    expect(order.id).toBe(id);
  });

  it('creating an order with an id that exists gets 422 problem+json', async () => {
    const order = await client.createOrder();
    expectProblem(await client.post('/orders', newOrderBody({ id: order.id })), 422, '/problems/domain.rule');
  });

  it('adding a line answers 200 with the changed order and its new version as ETag', async () => {
    const order = await client.createOrder();
    const response = await client.post(`/orders/${order.id}/lines`, secondLine);
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    expect(response.json<OrderView>()).toEqual(expect.objectContaining({ version: 2, totalAmount: 3000 }));
  });

  it('removing a line by SKU answers 200 without it', async () => {
    const order = await client.createOrder();
    await client.post(`/orders/${order.id}/lines`, secondLine);
    const response = await client.send('DELETE', `/orders/${order.id}/lines/SKU-1`);
    expect(response.statusCode).toBe(200);
    expect(response.json<OrderView>().lines.map((line) => line.sku)).toEqual(['SKU-2']);
    expect(response.headers.etag).toBe('"3"');
  });

  it('confirming needs no body, and an empty JSON object is accepted too', async () => {
    const first = await client.createOrder();
    const confirmed = await client.post(`/orders/${first.id}/confirm`);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json<OrderView>().status).toBe('confirmed');
    const second = await client.createOrder();
    expect((await client.post(`/orders/${second.id}/confirm`, {})).statusCode).toBe(200);
  });

  it('cancelling records the reason', async () => {
    const order = await client.cancelledOrder();
    expect(order).toEqual(
      expect.objectContaining({ status: 'cancelled', cancellationReason: 'customer changed their mind' }),
    );
  });

  it('confirming a cancelled order gets 422 problem+json that says why', async () => {
    const order = await client.cancelledOrder();
    const problem = expectProblem(
      await client.post(`/orders/${order.id}/confirm`),
      422,
      '/problems/domain.rule',
    );
    expect(problem.detail).toMatch(/cancelled/);
    expect(problem.instance).toBe(`/orders/${order.id}/confirm`);
  });

  it('removing the last line gets 422, and the order is unchanged', async () => {
    const order = await client.createOrder();
    expectProblem(
      await client.send('DELETE', `/orders/${order.id}/lines/SKU-1`),
      422,
      '/problems/domain.rule',
    );
    expect((await client.get(`/orders/${order.id}`)).json<OrderView>().version).toBe(1);
  });

  it('a command on an unknown order gets 404 problem+json', async () => {
    const problem = expectProblem(
      await client.post('/orders/no-such-order/confirm'),
      404,
      '/problems/store.not_found',
    );
    expect(problem.detail).toMatch(/no-such-order/);
    expectProblem(await client.post('/orders/no-such-order/lines', secondLine), 404);
    expectProblem(await client.send('DELETE', '/orders/no-such-order/lines/SKU-1'), 404);
    expectProblem(await client.post('/orders/no-such-order/cancel', { reason: 'x' }), 404);
  });
}
