import type { FastifyInstance } from 'fastify';
import type { OrderCommand } from '../../domain/orders/commands';
import { orderPath, onExistingOrder, sendCommandResult, type RouteOptions } from '../reply';
import { commandOptionsOf, newId } from '../request-context';
import {
  addLineBody,
  cancelOrderBody,
  commandHeaders,
  createOrderBody,
  emptyBody,
  OPTIONAL_BODY,
  orderLineParams,
  orderParams,
  orderRef,
  responses,
  type CancelOrderBody,
  type CreateOrderBody,
  type OrderLineBody,
} from '../schemas';

/**
 * The Order commands as POST/DELETE endpoints. Each builds a domain command from the request (ids from the
 * path or body, `at` from the clock) and hands it to the OrderService with the request's CommandOptions;
 * the domain decides, the service stores, and the response carries the order view and its version.
 */

type OrderParams = { id: string };
type LineParams = { id: string; sku: string };

const tags = ['orders'];

export async function orderCommandRoutes(app: FastifyInstance, options: RouteOptions): Promise<void> {
  createOrderRoute(app, options);

  onOrder<OrderLineBody, OrderParams>(
    app,
    options,
    'POST',
    '/orders/:id/lines',
    {
      operationId: 'addOrderLine',
      summary: 'Add a line for a new SKU',
      params: orderParams,
      body: addLineBody,
    },
    ({ id }, line, now) => ({ type: 'AddOrderLine', orderId: id, line, at: now }),
  );

  onOrder<unknown, LineParams>(
    app,
    options,
    'DELETE',
    '/orders/:id/lines/:sku',
    {
      operationId: 'removeOrderLine',
      summary: 'Remove the line of a SKU',
      params: orderLineParams,
      body: emptyBody,
      [OPTIONAL_BODY]: true,
    },
    ({ id, sku }, _body, now) => ({ type: 'RemoveOrderLine', orderId: id, sku, at: now }),
  );

  onOrder<unknown, OrderParams>(
    app,
    options,
    'POST',
    '/orders/:id/confirm',
    {
      operationId: 'confirmOrder',
      summary: 'Confirm a pending order',
      params: orderParams,
      body: emptyBody,
      [OPTIONAL_BODY]: true,
    },
    ({ id }, _body, now) => ({ type: 'ConfirmOrder', orderId: id, at: now }),
  );

  onOrder<CancelOrderBody, OrderParams>(
    app,
    options,
    'POST',
    '/orders/:id/cancel',
    { operationId: 'cancelOrder', summary: 'Cancel an order', params: orderParams, body: cancelOrderBody },
    ({ id }, { reason }, now) => ({ type: 'CancelOrder', orderId: id, reason, at: now }),
  );
}

/** POST /orders: the order id from the body, or one derived from the idempotency key, or a new one. */
function createOrderRoute(app: FastifyInstance, { service, clock }: RouteOptions): void {
  app.route<{ Body: CreateOrderBody }>({
    method: 'POST',
    url: '/orders',
    schema: {
      tags,
      operationId: 'createOrder',
      summary: 'Place an order',
      headers: commandHeaders,
      body: createOrderBody,
      response: responses(201, orderRef, 'The new order; Location names it, ETag is its version.'),
    },
    handler: async (request, reply) => {
      const options = commandOptionsOf(request, { conditional: false });
      const { id, ...fields } = request.body;
      const orderId = id ?? newId(options);
      const result = await service.executeOrder(
        { type: 'CreateOrder', orderId, ...fields, at: clock().toISOString() },
        options,
      );
      return sendCommandResult(reply, result, { status: 201, location: orderPath(orderId) });
    },
  });
}

/** Registers a command on an existing order: conditional on If-Match, 404 when the order does not exist. */
function onOrder<Body, Params extends OrderParams>(
  app: FastifyInstance,
  { service, clock }: RouteOptions,
  method: 'POST' | 'DELETE',
  url: string,
  schema: Record<string, unknown>,
  toCommand: (params: Params, body: Body, at: string) => OrderCommand,
): void {
  app.route<{ Body: Body; Params: Params }>({
    method,
    url,
    schema: {
      tags,
      headers: commandHeaders,
      response: responses(200, orderRef, 'The order after the command.'),
      ...schema,
    },
    handler: async (request, reply) => {
      const options = commandOptionsOf(request, { conditional: true });
      const params = request.params as Params;
      const command = toCommand(params, request.body as Body, clock().toISOString());
      const result = await onExistingOrder(service, params.id, () => service.executeOrder(command, options));
      return sendCommandResult(reply, result);
    },
  });
}
