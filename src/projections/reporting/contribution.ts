import type { OrderStatus } from '../../domain/orders/state';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';

/**
 * What one order contributes to the reports, taken from the state an event carries (or a view read from
 * the store when rebuilding). The projector keeps the current contribution of every order, so a newer
 * state replaces the old contribution: reports are sums of contributions, updated by their difference.
 */

export interface ContributionLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  /** Minor units of the order's currency. */
  readonly lineTotal: number;
}

export interface Contribution {
  readonly orderId: string;
  /** Stream version of the state this contribution was taken from. */
  readonly version: number;
  readonly customerId: string;
  readonly customerName: string;
  readonly customerEmail: string;
  /** ISO 8601 in UTC, millisecond precision (what both JavaScript and the table hold exactly). */
  readonly createdAt: string;
  /** UTC date of createdAt, YYYY-MM-DD: the day the order counts on. */
  readonly day: string;
  readonly status: OrderStatus;
  readonly currency: string;
  /** Minor units of `currency`. */
  readonly totalAmount: number;
  readonly lines: readonly ContributionLine[];
}

const STATUSES: ReadonlySet<string> = new Set<OrderStatus>(['pending', 'confirmed', 'cancelled']);
const CURRENCY = /^[A-Z]{3}$/;
/** The version column is an int. */
const MAX_VERSION = 2_147_483_647;

function invalidState(field: string, problem: string): never {
  throw new TributaryError('input.invalid', `state.${field} ${problem}`, {
    details: { field: `state.${field}` },
  });
}

function text(value: unknown, field: string, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') return invalidState(field, 'must be a string');
  if (!allowEmpty && value.length === 0) return invalidState(field, 'must not be empty');
  return value;
}

function amount(value: unknown, field: string, lowest: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lowest) {
    return invalidState(field, `must be a safe integer >= ${lowest}`);
  }
  return value;
}

// RFC 3339 with an offset, as events carry business times (src/domain/guards.ts accepts the same).
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const FIRST_MS = Date.parse('0001-01-01T00:00:00.000Z');
const END_MS = Date.parse('9999-12-31T23:59:59.999Z') + 1;

// Date.parse rolls 2026-02-30 over to March 2nd; a time that names no real day is refused instead.
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The time in toISOString's form (UTC, milliseconds): what both JavaScript and the table hold exactly. */
function instant(value: unknown, field: string): string {
  const raw = text(value, field);
  const match = INSTANT.exec(raw);
  const ms = Date.parse(raw);
  const valid =
    match !== null &&
    isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) &&
    ms >= FIRST_MS &&
    ms < END_MS;
  if (!valid) return invalidState(field, 'must be an RFC 3339 time with an offset, in years 1 to 9999');
  // Events carry toISOString's own form; anything else (an offset, more digits) is normalized.
  return match[5]?.length === 4 && match[6] === 'Z' ? raw : new Date(ms).toISOString();
}

function line(value: unknown, index: number): ContributionLine {
  const field = `lines[${index}]`;
  if (typeof value !== 'object' || value === null) return invalidState(field, 'must be an object');
  const raw = value as Record<string, unknown>;
  return {
    sku: text(raw.sku, `${field}.sku`),
    name: text(raw.name, `${field}.name`, { allowEmpty: true }),
    quantity: amount(raw.quantity, `${field}.quantity`, 1),
    lineTotal: amount(raw.lineTotal, `${field}.lineTotal`, 0),
  };
}

/**
 * The contribution of an order state, after checking every field the reports use: a state that fails
 * throws `input.invalid` whose `details.field` names the field (`state.currency`, ...). The line totals
 * must add up to the total, so the SKU report and the daily revenue never disagree.
 */
export function contributionOf(view: OrderView | unknown): Contribution {
  if (typeof view !== 'object' || view === null) return invalidState('', 'must be an object');
  const state = view as Partial<Record<keyof OrderView, unknown>>;
  const version = state.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    return invalidState('version', `must be an integer from 1 to ${MAX_VERSION}`);
  }
  if (typeof state.status !== 'string' || !STATUSES.has(state.status)) {
    return invalidState('status', 'must be pending, confirmed or cancelled');
  }
  if (typeof state.currency !== 'string' || !CURRENCY.test(state.currency)) {
    return invalidState('currency', 'must be three upper-case letters');
  }
  const customer = state.customer;
  if (typeof customer !== 'object' || customer === null) return invalidState('customer', 'must be an object');
  const { id, name, email } = customer as Record<string, unknown>;
  if (!Array.isArray(state.lines)) return invalidState('lines', 'must be an array');
  const lines = state.lines.map(line);
  const totalAmount = amount(state.totalAmount, 'totalAmount', 0);
  const sum = lines.reduce((total, { lineTotal }) => total + BigInt(lineTotal), 0n);
  if (sum !== BigInt(totalAmount)) {
    return invalidState('totalAmount', `is ${totalAmount}, but the line totals add up to ${sum}`);
  }
  const createdAt = instant(state.createdAt, 'createdAt');
  return {
    orderId: text(state.id, 'id'),
    version,
    customerId: text(id, 'customer.id'),
    customerName: text(name, 'customer.name', { allowEmpty: true }),
    customerEmail: text(email, 'customer.email', { allowEmpty: true }),
    createdAt,
    day: createdAt.slice(0, 10),
    status: state.status as OrderStatus,
    currency: state.currency,
    totalAmount,
    lines,
  };
}
