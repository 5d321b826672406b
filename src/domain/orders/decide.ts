import {
  forbidden,
  invalid,
  requireOneOf,
  requireSameStream,
  requireText,
  requireTimestamp,
} from '../guards';
import { requireCurrency } from '../money';
import type {
  AddOrderLine,
  CancelOrder,
  ConfirmOrder,
  CreateOrder,
  MarkReadyToShip,
  OrderCommand,
  RemoveOrderLine,
} from './commands';
import {
  SALES_CHANNELS,
  orderSchemaVersions,
  type OrderCancelled,
  type OrderConfirmed,
  type OrderCreated,
  type OrderEvent,
  type OrderLineAdded,
  type OrderLineRemoved,
  type OrderReadyToShip,
} from './events';
import { isOrder, totalAmountOf, type Order, type OrderState } from './state';
import { MAX_ORDER_LINES, validCustomer, validLine, validNewLines } from './validate';

/*
 * Each handler validates the command first and only then looks at the state, so a malformed command
 * is `domain.validation` whatever the state, and `domain.rule` always means "not now".
 */

function existing(state: OrderState, orderId: string): Order {
  if (!isOrder(state)) return forbidden(`order ${orderId} does not exist`, { orderId });
  requireSameStream(state.id, orderId, 'orderId');
  return state;
}

// Lines are what was agreed; after confirmation (or cancellation) they are history.
function pending(order: Order, action: string): Order {
  if (order.status !== 'pending') {
    forbidden(`cannot ${action}: order ${order.id} is ${order.status}`, {
      orderId: order.id,
      status: order.status,
    });
  }
  return order;
}

function create(command: CreateOrder, state: OrderState): OrderCreated {
  const orderId = requireText(command.orderId, 'orderId');
  const data = {
    orderId,
    customer: validCustomer(command.customer),
    lines: validNewLines(command.lines),
    currency: requireCurrency(command.currency),
    salesChannel: requireOneOf(command.salesChannel ?? 'web', SALES_CHANNELS, 'salesChannel'),
    createdAt: requireTimestamp(command.at, 'at'),
  };
  totalAmountOf(data.lines); // throws if the total would not be an exact integer
  if (isOrder(state)) forbidden(`order ${orderId} already exists`, { orderId });
  return { type: 'OrderCreated', schemaVersion: orderSchemaVersions.OrderCreated, data };
}

function addLine(command: AddOrderLine, state: OrderState): OrderLineAdded {
  const orderId = requireText(command.orderId, 'orderId');
  const line = validLine(command.line);
  const addedAt = requireTimestamp(command.at, 'at');
  const order = pending(existing(state, orderId), 'add a line');
  if (order.lines.some(({ sku }) => sku === line.sku)) {
    forbidden(`sku ${line.sku} is already on order ${orderId}; remove it first to change it`, {
      orderId,
      sku: line.sku,
    });
  }
  if (order.lines.length >= MAX_ORDER_LINES) {
    forbidden(`order ${orderId} has ${order.lines.length} lines, the most an order may have`, {
      orderId,
      maxLines: MAX_ORDER_LINES,
    });
  }
  totalAmountOf([...order.lines, line]); // the new total must stay exact too
  return {
    type: 'OrderLineAdded',
    schemaVersion: orderSchemaVersions.OrderLineAdded,
    data: { orderId, line, addedAt },
  };
}

function removeLine(command: RemoveOrderLine, state: OrderState): OrderLineRemoved {
  const orderId = requireText(command.orderId, 'orderId');
  const sku = requireText(command.sku, 'sku');
  const removedAt = requireTimestamp(command.at, 'at');
  const order = pending(existing(state, orderId), 'remove a line');
  if (!order.lines.some((line) => line.sku === sku)) {
    forbidden(`sku ${sku} is not on order ${orderId}`, { orderId, sku });
  }
  // An order without lines is not an order; cancelling says what happened, an empty order would not.
  if (order.lines.length === 1) {
    forbidden(`cannot remove the last line of order ${orderId}; cancel the order instead`, { orderId, sku });
  }
  return {
    type: 'OrderLineRemoved',
    schemaVersion: orderSchemaVersions.OrderLineRemoved,
    data: { orderId, sku, removedAt },
  };
}

function confirm(command: ConfirmOrder, state: OrderState): OrderConfirmed {
  const orderId = requireText(command.orderId, 'orderId');
  const confirmedAt = requireTimestamp(command.at, 'at');
  pending(existing(state, orderId), 'confirm');
  return {
    type: 'OrderConfirmed',
    schemaVersion: orderSchemaVersions.OrderConfirmed,
    data: { orderId, confirmedAt },
  };
}

function cancel(command: CancelOrder, state: OrderState): OrderCancelled {
  const orderId = requireText(command.orderId, 'orderId');
  const reason = requireText(command.reason, 'reason');
  const cancelledAt = requireTimestamp(command.at, 'at');
  const order = existing(state, orderId);
  if (order.status === 'cancelled') forbidden(`order ${orderId} is already cancelled`, { orderId });
  if (order.readyToShipAt !== null) {
    forbidden(`order ${orderId} is ready to ship and can no longer be cancelled`, { orderId });
  }
  return {
    type: 'OrderCancelled',
    schemaVersion: orderSchemaVersions.OrderCancelled,
    data: { orderId, reason, cancelledAt },
  };
}

function markReadyToShip(command: MarkReadyToShip, state: OrderState): OrderReadyToShip {
  const orderId = requireText(command.orderId, 'orderId');
  const readyAt = requireTimestamp(command.at, 'at');
  const order = existing(state, orderId);
  if (order.status !== 'confirmed') {
    forbidden(`cannot mark order ${orderId} ready to ship: it is ${order.status}`, {
      orderId,
      status: order.status,
    });
  }
  if (order.readyToShipAt !== null) forbidden(`order ${orderId} is already ready to ship`, { orderId });
  return {
    type: 'OrderReadyToShip',
    schemaVersion: orderSchemaVersions.OrderReadyToShip,
    data: { orderId, readyAt },
  };
}

/** Decides what an order command changes; throws `domain.validation` or `domain.rule` on rejection. */
export function decideOrder(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'CreateOrder':
      return [create(command, state)];
    case 'AddOrderLine':
      return [addLine(command, state)];
    case 'RemoveOrderLine':
      return [removeLine(command, state)];
    case 'ConfirmOrder':
      return [confirm(command, state)];
    case 'CancelOrder':
      return [cancel(command, state)];
    case 'MarkReadyToShip':
      return [markReadyToShip(command, state)];
    default:
      return invalid('unknown order command', { type: (command as { type?: unknown }).type });
  }
}
