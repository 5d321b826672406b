import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { startServer } from './server';
import { ApiClient, newOrderBody } from '../../test/api/client';
import { FakeOrderService } from '../../test/api/fake-order-service';
import { TestIssuer } from '../../test/fixtures/auth';

/** What the API hands the OrderService: the command it builds and the options taken from the headers. */
describe('commands reaching the service', () => {
  const service = new FakeOrderService();
  const clock = () => new Date('2025-03-04T05:06:07.089Z');
  let app: FastifyInstance;
  let baseUrl = '';
  const issuer = new TestIssuer();
  const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));
  const lastCall = () => service.calls[service.calls.length - 1];

  beforeAll(async () => {
    app = buildApp({ authenticator: issuer.authenticator(), service, clock, swaggerUi: false });
    baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('a command carries the correlation id, the caller as actor and traceparent as metadata, and `at` from the clock', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await client.post('/orders', newOrderBody({ id: 'o-meta' }), {
      'x-correlation-id': 'corr-1',
      traceparent,
    });
    expect(lastCall()).toEqual({
      command: expect.objectContaining({
        type: 'CreateOrder',
        orderId: 'o-meta',
        at: '2025-03-04T05:06:07.089Z',
      }),
      options: { metadata: { correlationId: 'corr-1', actor: 'test-admin', traceparent } },
    });
  });

  it('If-Match becomes expectedVersion and a quoted Idempotency-Key is passed unquoted', async () => {
    const order = await client.createOrder();
    await client.post(`/orders/${order.id}/confirm`, undefined, {
      'if-match': '"1"',
      'idempotency-key': '"k-7"',
    });
    expect(lastCall()?.options).toEqual(
      expect.objectContaining({ expectedVersion: 1, idempotencyKey: 'k-7' }),
    );
  });

  it('a request without an order id gets a UUID, derived from the Idempotency-Key when there is one', async () => {
    const first = await client.createOrder({}, { 'idempotency-key': 'same-key' });
    const again = await client.createOrder({}, { 'idempotency-key': 'same-key' });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again.id).toBe(first.id);
    expect((await client.createOrder()).id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  });
});
