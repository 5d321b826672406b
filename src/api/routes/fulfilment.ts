import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../errors';
import type { Fulfilment } from '../../saga';
import { orderParams, responses } from '../schemas';

/**
 * `GET /orders/:id/fulfilment`: the order-fulfilment saga of an order — its state, every step with its time,
 * and the compensations among them. 404 when no saga started for the order (not confirmed yet, or the saga
 * has not consumed its confirmation yet). Who may read it is who may read the order.
 */

export type FulfilmentRouteOptions = {
  fulfilment: (orderId: string) => Promise<Fulfilment | undefined>;
};

const step = {
  type: 'object',
  required: ['seq', 'step', 'outcome', 'at', 'detail'],
  properties: {
    seq: { type: 'integer' },
    step: { type: 'string' },
    outcome: { type: 'string', enum: ['done', 'failed', 'retrying', 'compensation'] },
    at: { type: 'string', format: 'date-time' },
    detail: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

const fulfilmentSchema = {
  type: 'object',
  required: [
    'orderId',
    'state',
    'startedAt',
    'updatedAt',
    'amount',
    'currency',
    'reason',
    'steps',
    'compensations',
  ],
  properties: {
    orderId: { type: 'string' },
    state: { type: 'string', enum: ['reserving', 'capturing', 'completed', 'compensated', 'timed_out'] },
    startedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    reason: { type: ['string', 'null'] },
    steps: { type: 'array', items: step },
    compensations: { type: 'array', items: step },
  },
} as const;

export async function fulfilmentRoutes(
  app: FastifyInstance,
  { fulfilment }: FulfilmentRouteOptions,
): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/orders/:id/fulfilment',
    {
      schema: {
        tags: ['orders'],
        operationId: 'getOrderFulfilment',
        summary: "The order's fulfilment: the saga's state, its steps with times, and its compensations",
        params: orderParams,
        response: responses(200, fulfilmentSchema, 'The saga of the order.'),
      },
    },
    async (request) => {
      const found = await fulfilment(request.params.id);
      if (found === undefined) {
        throw new TributaryError('store.not_found', `Order ${request.params.id} has no fulfilment (yet).`, {
          details: { orderId: request.params.id },
        });
      }
      return found;
    },
  );
}
