import type { Executor } from '../db/executor';
import type { OrderView } from '../domain/orders/view';
import type { EventMetadata } from '../eventstore/types';
import type { OrderCommand } from '../domain/orders/commands';
import type { PaymentCommand } from '../domain/payments/commands';
import type { PaymentView } from '../domain/payments/view';

/**
 * The command side as the HTTP API (and any other adapter) sees it: execute a command against one
 * aggregate, read an order now or as of a point in time, read its audit trail.
 */

/** An idempotency key belongs to a principal and a route (method and path); both are '' without a caller. */
export interface IdempotencyScope {
  principal: string;
  route: string;
}

/** Who and what caused a command; stored with every event it produces. */
export type CommandMetadata = EventMetadata;

export interface CommandOptions {
  /**
   * Optimistic concurrency for clients (HTTP If-Match): the stream version the client last saw. The command
   * fails with TributaryError 'store.conflict' when the stream is at another version.
   */
  expectedVersion?: number;
  /**
   * A retried request with the same key returns the first result and appends nothing twice. Reusing a key for
   * a different request fails with TributaryError 'input.key_reused'. A key expires after the handler's TTL.
   */
  idempotencyKey?: string;
  /** Whose key it is and where it was sent: keys of other principals or routes are other keys. */
  idempotencyScope?: IdempotencyScope;
  metadata?: CommandMetadata;
  /**
   * Join this transaction instead of opening one (a process manager issuing several commands at once): the
   * command's reads, checks and append all run on it, and nothing commits until its owner commits. A lost
   * race then fails the whole transaction (TributaryError 'store.conflict'): the owner retries it.
   */
  executor?: Executor;
}

export interface CommandResult<View> {
  /** The aggregate the command was for. */
  streamId: string;
  /** The stream version after the command (unchanged when it produced no events). */
  version: number;
  /** The aggregate's public view after the command. */
  view: View;
  /** True when this is the stored result of an earlier request with the same idempotency key. */
  replayed: boolean;
}

export type { PaymentView };

/** One stored event as the audit trail shows it (after upcasting). */
export interface HistoryEntry {
  position: string;
  streamId: string;
  version: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: CommandMetadata;
  occurredAt: string;
  recordedAt: string;
}

/** A point in an order's past: a time (business time of events ≤ it) or a stream version. */
export type AsOf = { at: Date } | { version: number };

export interface OrderService {
  /** Runs an Order command. Throws TributaryError: domain.validation, domain.rule, store.conflict. */
  executeOrder(command: OrderCommand, options?: CommandOptions): Promise<CommandResult<OrderView>>;
  /** Runs a Payment command (the payment stream is `payment-<paymentId>`). */
  executePayment(command: PaymentCommand, options?: CommandOptions): Promise<CommandResult<PaymentView>>;
  /** The order now, or as of a time or version; undefined when it did not exist (then). */
  getOrder(orderId: string, asOf?: AsOf): Promise<OrderView | undefined>;
  /**
   * Events of the order, oldest first, with metadata: all of them, or those of one page (after a version,
   * at most `limit`); empty when the order does not exist (or has nothing after that version).
   */
  history(orderId: string, page?: HistoryPage): Promise<HistoryEntry[]>;
}

/** A page of an order's history: the events after `afterVersion` (default 0), at most `limit` of them. */
export interface HistoryPage {
  afterVersion?: number;
  limit?: number;
}
