import type { FastifyInstance } from 'fastify';
import { historyFor, principalOf } from '../../auth';
import type { AsOf } from '../../commands/types';
import { TributaryError } from '../../errors';
import { formatEtag } from '../etag';
import { orderNotFound, type RouteOptions } from '../reply';
import { historyRef, orderParams, orderQuery, orderRef, responses, type OrderQuery } from '../schemas';

/**
 * Reads of one order from the event store: its state now, as of a business time or a version, and its
 * full history. The ETag is the version of the state returned.
 */

type OrderParams = { id: string };

const tags = ['orders'];

function invalidQuery(message: string): TributaryError {
  return new TributaryError('input.invalid', `The query is invalid: ${message}.`, {
    details: { errors: [{ path: 'query', message }] },
  });
}

/** The point in time a query asks for, or undefined for "now". The schema checked each parameter's form. */
export function asOfOf(query: OrderQuery): AsOf | undefined {
  if (query.asOf !== undefined && query.version !== undefined) {
    throw invalidQuery('asOf and version cannot be combined; ask for one point in time');
  }
  if (query.version !== undefined) return { version: Number(query.version) };
  if (query.asOf === undefined) return undefined;
  const at = new Date(query.asOf);
  // RFC 3339 allows a leap second (23:59:60) that Date cannot represent.
  if (Number.isNaN(at.getTime())) throw invalidQuery(`asOf ${query.asOf} is not a representable time`);
  return { at };
}

function whenOf(asOf: AsOf | undefined): string {
  if (asOf === undefined) return '';
  return 'version' in asOf ? ` at version ${asOf.version}` : ` as of ${asOf.at.toISOString()}`;
}

export async function orderQueryRoutes(app: FastifyInstance, { service }: RouteOptions): Promise<void> {
  app.get<{ Params: OrderParams; Querystring: OrderQuery }>(
    '/orders/:id',
    {
      schema: {
        tags,
        operationId: 'getOrder',
        summary: 'An order now, as of a time (?asOf=), or at a version (?version=)',
        params: orderParams,
        querystring: orderQuery,
        response: responses(200, orderRef, 'The order; ETag is the version shown.'),
      },
    },
    async (request, reply) => {
      const asOf = asOfOf(request.query);
      const order = await service.getOrder(request.params.id, asOf);
      if (order === undefined) throw orderNotFound(request.params.id, whenOf(asOf));
      reply.header('etag', formatEtag(order.version));
      return order;
    },
  );

  app.get<{ Params: OrderParams }>(
    '/orders/:id/history',
    {
      schema: {
        tags,
        operationId: 'getOrderHistory',
        summary: 'Every event of an order, oldest first, with its metadata',
        params: orderParams,
        response: responses(200, historyRef, 'The audit trail; ETag is the latest version.'),
      },
    },
    async (request, reply) => {
      const events = await service.history(request.params.id);
      const last = events.at(-1);
      if (last === undefined) throw orderNotFound(request.params.id);
      reply.header('etag', formatEtag(last.version));
      return { orderId: request.params.id, events: historyFor(principalOf(request), events) };
    },
  );
}
