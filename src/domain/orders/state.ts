import { TributaryError } from '../../errors';
import { multiplyAmount, sumAmounts } from '../money';
import type { Customer, OrderEvent, OrderLine, SalesChannel } from './events';

/** Lifecycle of an order: pending → confirmed, and pending or confirmed → cancelled. */
export type OrderStatus = 'pending' | 'confirmed' | 'cancelled';

/** The state of an order stream before its OrderCreated: no order exists yet. */
export type NoOrder = { readonly status: 'initial'; readonly version: 0 };

/** An existing order, as rebuilt from its events. Timestamps are business times from event data. */
export type Order = {
  readonly id: string;
  readonly status: OrderStatus;
  readonly customer: Customer;
  /** In the order they were added; at most one line per SKU. */
  readonly lines: readonly OrderLine[];
  /** Σ quantity × unitPrice over `lines`, in minor units of `currency`; recomputed on every change. */
  readonly totalAmount: number;
  readonly currency: string;
  readonly salesChannel: SalesChannel;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly confirmedAt: string | null;
  readonly cancelledAt: string | null;
  readonly cancellationReason: string | null;
  /**
   * When the order became ready to ship (paid, stock committed); null before. Kept in the state, not in the
   * public view: the status stays `confirmed`, so the search mapping and the reports are unchanged.
   */
  readonly readyToShipAt: string | null;
  /** Number of events applied: the stream version this state corresponds to. */
  readonly version: number;
};

/** What `evolve` folds over: nothing yet, or an order. */
export type OrderState = NoOrder | Order;

/** The state of a stream with no events. */
export function initialOrderState(): OrderState {
  return { status: 'initial', version: 0 };
}

/** True once the order has been created. */
export function isOrder(state: OrderState): state is Order {
  return state.status !== 'initial';
}

/**
 * Σ quantity × unitPrice. Rejects with `domain.validation` when the total would not be an exact
 * integer; `decide` calls it on the lines it is about to write, so `evolve` never sees that case.
 */
export function totalAmountOf(lines: readonly OrderLine[]): number {
  return sumAmounts(
    lines.map((line) => multiplyAmount(line.unitPrice, line.quantity, `lines[${line.sku}] amount`)),
    'totalAmount',
  );
}

// Stored events are facts: one that cannot apply to the state means the stream is corrupt (or the
// wrong stream was read), and carrying on would build a wrong order.
function corrupt(state: OrderState, event: OrderEvent): never {
  throw new TributaryError('internal', `${event.type} cannot apply to an order in state ${state.status}`, {
    details: { type: event.type, status: state.status, version: state.version },
  });
}

function changed(order: Order, lines: readonly OrderLine[], at: string): Order {
  return { ...order, lines, totalAmount: totalAmountOf(lines), updatedAt: at, version: order.version + 1 };
}

/** Applies one order event. Events must be at their current schema version (upcast on read). */
export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderCreated') {
    if (isOrder(state)) return corrupt(state, event);
    const { data } = event;
    return {
      id: data.orderId,
      status: 'pending',
      customer: { ...data.customer },
      lines: data.lines.map((line) => ({ ...line })),
      totalAmount: totalAmountOf(data.lines),
      currency: data.currency,
      salesChannel: data.salesChannel,
      createdAt: data.createdAt,
      updatedAt: data.createdAt,
      confirmedAt: null,
      cancelledAt: null,
      cancellationReason: null,
      readyToShipAt: null,
      version: state.version + 1,
    };
  }
  if (!isOrder(state)) return corrupt(state, event);
  switch (event.type) {
    case 'OrderLineAdded':
      return changed(state, [...state.lines, { ...event.data.line }], event.data.addedAt);
    case 'OrderLineRemoved':
      return changed(
        state,
        state.lines.filter((line) => line.sku !== event.data.sku),
        event.data.removedAt,
      );
    case 'OrderConfirmed':
      return {
        ...state,
        status: 'confirmed',
        confirmedAt: event.data.confirmedAt,
        updatedAt: event.data.confirmedAt,
        version: state.version + 1,
      };
    case 'OrderCancelled':
      return {
        ...state,
        status: 'cancelled',
        cancelledAt: event.data.cancelledAt,
        cancellationReason: event.data.reason,
        updatedAt: event.data.cancelledAt,
        version: state.version + 1,
      };
    case 'OrderReadyToShip':
      return {
        ...state,
        readyToShipAt: event.data.readyAt,
        updatedAt: event.data.readyAt,
        version: state.version + 1,
      };
  }
}
