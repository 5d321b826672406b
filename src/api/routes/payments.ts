import type { FastifyInstance } from 'fastify';
import { sendCommandResult, type RouteOptions } from '../reply';
import { commandOptionsOf, newId } from '../request-context';
import {
  commandHeaders,
  orderParams,
  paymentParams,
  paymentRef,
  recordPaymentBody,
  refundPaymentBody,
  responses,
  type RecordPaymentBody,
  type RefundPaymentBody,
} from '../schemas';

/**
 * Payment commands. A payment is its own aggregate (stream `payment-<id>`); it is recorded under the order
 * it pays for, and refunded by its own id. ETag and If-Match refer to the payment's version.
 */

type IdParams = { id: string };

const tags = ['payments'];

export async function paymentRoutes(app: FastifyInstance, { service, clock }: RouteOptions): Promise<void> {
  app.post<{ Params: IdParams; Body: RecordPaymentBody }>(
    '/orders/:id/payments',
    {
      schema: {
        tags,
        operationId: 'recordPayment',
        summary: 'Record a payment captured for an order',
        headers: commandHeaders,
        params: orderParams,
        body: recordPaymentBody,
        response: responses(201, paymentRef, 'The new payment; ETag is its version.'),
      },
    },
    async (request, reply) => {
      const orderId = request.params.id;
      const options = commandOptionsOf(request, { conditional: false });
      // Checked against its order in the transaction that records it: an order that does not exist is a 404.
      const { id, ...fields } = request.body;
      const paymentId = id ?? newId(options);
      const at = clock().toISOString();
      const result = await service.executePayment(
        { type: 'RecordPayment', paymentId, orderId, ...fields, at },
        options,
      );
      return sendCommandResult(reply, result, { status: 201 });
    },
  );

  app.post<{ Params: IdParams; Body: RefundPaymentBody }>(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        operationId: 'refundPayment',
        summary: 'Refund part or all of a payment',
        headers: commandHeaders,
        params: paymentParams,
        body: refundPaymentBody,
        response: responses(200, paymentRef, 'The payment after the refund; ETag is its version.'),
      },
    },
    async (request, reply) => {
      const options = commandOptionsOf(request, { conditional: true });
      const at = clock().toISOString();
      const command = { type: 'RefundPayment' as const, paymentId: request.params.id, ...request.body, at };
      return sendCommandResult(reply, await service.executePayment(command, options));
    },
  );
}
