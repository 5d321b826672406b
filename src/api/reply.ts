import type { FastifyReply } from 'fastify';
import type { CommandResult, OrderService } from '../commands/types';
import { TributaryError } from '../errors';
import { formatEtag } from './etag';

/** What every route plugin gets: the command side to call and the clock that stamps commands. */
export type RouteOptions = {
  service: OrderService;
  /** The business time of a command issued now. */
  clock: () => Date;
};

export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Answers a command with its result: the view as body, the stream version as ETag, and
 * `Idempotent-Replayed: true` when the service returned the stored result of an earlier request with the
 * same Idempotency-Key. Status and body are the same as the first time, so a retry cannot tell otherwise.
 */
export function sendCommandResult<View>(
  reply: FastifyReply,
  result: CommandResult<View>,
  { status = 200, location }: { status?: number; location?: string } = {},
): View {
  reply.code(status).header('etag', formatEtag(result.version));
  if (location !== undefined) reply.header('location', location);
  if (result.replayed) reply.header(REPLAYED_HEADER, 'true');
  return result.view;
}

/** The 404 of an order id that names no order (now, or at the point in time asked for). */
export function orderNotFound(orderId: string, when = ''): TributaryError {
  return new TributaryError('store.not_found', `Order ${orderId} does not exist${when}.`, {
    details: { orderId },
  });
}

/** The path of an order resource, for Location headers. */
export function orderPath(orderId: string): string {
  return `/orders/${encodeURIComponent(orderId)}`;
}

/**
 * Runs a command on an existing order and turns a rejection of an order that does not exist into a 404.
 * The domain rejects commands on a missing order as `domain.rule` (and a stale If-Match as
 * `store.conflict`); for HTTP the missing resource is the better answer. The order is looked up only
 * after a rejection, so successful commands cost no extra read, and since orders are never deleted the
 * answer cannot be stale in the harmful direction.
 */
export async function onExistingOrder<T>(
  service: OrderService,
  orderId: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const rejected =
      error instanceof TributaryError && (error.code === 'domain.rule' || error.code === 'store.conflict');
    if (rejected && (await service.getOrder(orderId)) === undefined) throw orderNotFound(orderId);
    throw error;
  }
}
