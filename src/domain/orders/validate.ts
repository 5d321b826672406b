import { invalid, requirePositiveInteger, requireText } from '../guards';
import { requireAmount } from '../money';
import type { Customer, OrderLine } from './events';

/**
 * Field checks for order commands. Each returns a fresh object with only the known fields, so that
 * whatever else arrived in a request body never ends up in a stored event.
 */

// Deliberately loose: the address is a contact detail, not an identity; delivery proves it.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(`${field} must be an object`, { field });
  }
  return value as Record<string, unknown>;
}

export function validCustomer(value: unknown): Customer {
  const customer = requireObject(value, 'customer');
  const email = requireText(customer.email, 'customer.email');
  if (!EMAIL.test(email)) invalid('customer.email must be an email address', { field: 'customer.email' });
  return {
    id: requireText(customer.id, 'customer.id'),
    name: requireText(customer.name, 'customer.name'),
    email,
  };
}

export function validLine(value: unknown, field = 'line'): OrderLine {
  const line = requireObject(value, field);
  return {
    sku: requireText(line.sku, `${field}.sku`),
    name: requireText(line.name, `${field}.name`),
    quantity: requirePositiveInteger(line.quantity, `${field}.quantity`),
    unitPrice: requireAmount(line.unitPrice, `${field}.unitPrice`, { allowZero: true }),
  };
}

/**
 * The lines of a new order: at least one (an order always has a line), one per SKU. Two lines with
 * the same SKU are rejected rather than merged: they may disagree on name or price, and guessing
 * which one the caller meant would record something nobody asked for.
 */
/**
 * The most lines one order may have, at creation and after any change: an order, and each event carrying its
 * state, stays bounded (each integration event carries the whole order).
 */
export const MAX_ORDER_LINES = 200;

export function validNewLines(value: unknown): OrderLine[] {
  if (!Array.isArray(value) || value.length === 0) {
    return invalid('lines must be a non-empty array', { field: 'lines' });
  }
  if (value.length > MAX_ORDER_LINES) {
    return invalid(`an order has at most ${MAX_ORDER_LINES} lines, got ${value.length}`, { field: 'lines' });
  }
  const lines = value.map((line: unknown, index) => validLine(line, `lines[${index}]`));
  const seen = new Set<string>();
  for (const { sku } of lines) {
    if (seen.has(sku)) invalid(`sku ${sku} appears on more than one line`, { field: 'lines', sku });
    seen.add(sku);
  }
  return lines;
}
