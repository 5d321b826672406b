import type { FastifyInstance } from 'fastify';
import { historyFor, principalOf } from '../../auth';
import type { AsOf } from '../../commands/types';
import { TributaryError } from '../../errors';
import { formatEtag } from '../etag';
import { orderNotFound, type RouteOptions } from '../reply';
import {
  historyQuery,
  historyRef,
  orderParams,
  orderQuery,
  orderRef,
  responses,
  type HistoryQuery,
  type OrderQuery,
} from '../schemas';

/**
 * Reads of one order from the event store: its state now, as of a business time or a version, and its
 * full history. The ETag is the version of the state returned.
 */

type OrderParams = { id: string };

/** Events per history page unless the request asks for fewer. */
const HISTORY_PAGE = 100;

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

  app.get<{ Params: OrderParams; Querystring: HistoryQuery }>(
    '/orders/:id/history',
    {
      schema: {
        tags,
        operationId: 'getOrderHistory',
        summary: 'The events of an order, oldest first, with their metadata, a page at a time',
        params: orderParams,
        querystring: historyQuery,
        response: responses(
          200,
          historyRef,
          'The audit trail; on its last page, ETag is the latest version.',
        ),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const after = Number(request.query.after ?? 0);
      const limit = Number(request.query.limit ?? HISTORY_PAGE);
      // One event more than the page, to know whether another page follows.
      const events = await service.history(id, { afterVersion: after, limit: limit + 1 });
      if (events.length === 0 && after === 0) throw orderNotFound(id);
      const page = events.slice(0, limit);
      const last = page.at(-1)?.version ?? after;
      const answer = { orderId: id, events: historyFor(principalOf(request), page) };
      if (events.length > limit)
        return { ...answer, next: `/orders/${id}/history?after=${last}&limit=${limit}` };
      if (page.length > 0) reply.header('etag', formatEtag(last));
      return answer;
    },
  );
}
