import { randomUUID } from 'node:crypto';
import type { PaymentView } from '../../src/commands/types';
import { ApiClient, expectProblem } from './client';

/** Payments: recorded under an order, refunded by their own id. */
export function paymentContract(client: ApiClient): void {
  const payment = { amount: 2500, currency: 'EUR', method: 'card' };

  async function recordedPayment(): Promise<PaymentView> {
    const order = await client.createOrder();
    const response = await client.post(`/orders/${order.id}/payments`, payment);
    expect(response.statusCode).toBe(201);
    return response.json<PaymentView>();
  }

  it('recording a payment answers 201 with the payment, a generated id and its version as ETag', async () => {
    const order = await client.createOrder();
    const response = await client.post(`/orders/${order.id}/payments`, payment);
    expect(response.statusCode).toBe(201);
    expect(response.headers.etag).toBe('"1"');
    expect(response.json<PaymentView>()).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        orderId: order.id,
        amount: 2500,
        status: 'captured',
        version: 1,
      }),
    );
  });

  it('a payment for an unknown order gets 404', async () => {
    expectProblem(
      await client.post('/orders/no-such-order/payments', payment),
      404,
      '/problems/store.not_found',
    );
  });

  it('a retried payment with the same Idempotency-Key records one payment', async () => {
    const order = await client.createOrder();
    const headers = { 'idempotency-key': randomUUID() };
    const first = await client.post(`/orders/${order.id}/payments`, payment, headers);
    const retry = await client.post(`/orders/${order.id}/payments`, payment, headers);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('an unknown payment method gets 400', async () => {
    const order = await client.createOrder();
    const problem = expectProblem(
      await client.post(`/orders/${order.id}/payments`, { ...payment, method: 'iou' }),
      400,
    );
    expect(problem.errors).toEqual([
      { path: 'body.method', message: expect.stringMatching(/^must be one of card/) },
    ]);
  });

  it('a partial refund answers 200 with the refunded amount and the next version', async () => {
    const recorded = await recordedPayment();
    const refund = { amount: 500, currency: 'EUR', reason: 'damaged box' };
    const response = await client.post(`/payments/${recorded.id}/refunds`, refund, { 'if-match': '"1"' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    expect(response.json<PaymentView>()).toEqual(
      expect.objectContaining({ refundedAmount: 500, status: 'partially_refunded', version: 2 }),
    );
  });

  it('refunding more than is refundable gets 422', async () => {
    const recorded = await recordedPayment();
    const refund = { amount: 2501, currency: 'EUR', reason: 'too much' };
    expectProblem(
      await client.post(`/payments/${recorded.id}/refunds`, refund),
      422,
      '/problems/domain.rule',
    );
  });

  it('a refund with a stale If-Match gets 409', async () => {
    const recorded = await recordedPayment();
    const refund = { amount: 100, currency: 'EUR', reason: 'goodwill' };
    await client.post(`/payments/${recorded.id}/refunds`, refund);
    expectProblem(await client.post(`/payments/${recorded.id}/refunds`, refund, { 'if-match': '"1"' }), 409);
  });
}
