import type { Contribution } from './contribution';

/**
 * How the reports change when orders' contributions change: every report row is a sum over the
 * contributions of its key, so replacing `before` by `after` adds `after`'s share to its keys and takes
 * `before`'s share off its keys. Pure: the SQL side only adds the deltas and deletes rows left at zero.
 *
 * Counts and amounts are exact: amounts are added as bigint, never as floating point, and always per
 * currency (the currency is part of every key).
 */

/** An order's contribution changing from `before` (null: the order is new to the reports) to `after`. */
export interface ContributionChange {
  readonly before: Contribution | null;
  readonly after: Contribution;
}

export interface DailyDelta {
  readonly day: string;
  readonly status: string;
  readonly currency: string;
  readonly orders: number;
  readonly revenue: bigint;
}

/** The customer's latest order among those joining a key: it names the customer when it is the newest. */
export interface LatestOrder {
  readonly orderId: string;
  readonly createdAt: string;
  readonly name: string;
  readonly email: string;
}

export interface CustomerDelta {
  readonly customerId: string;
  readonly currency: string;
  readonly orders: number;
  readonly confirmedOrders: number;
  readonly cancelledOrders: number;
  readonly lifetimeRevenue: bigint;
  /** Earliest createdAt among the orders joining this key, null when none joins. */
  readonly firstOrderAt: string | null;
  /** Newest order (by createdAt, then order id) joining this key, null when none joins. */
  readonly latest: LatestOrder | null;
  /**
   * True when an order left this key, or changed its createdAt, name or email: the first/latest order
   * cannot be updated by comparison then, and are recomputed from the contributions.
   */
  readonly recompute: boolean;
}

export interface SkuDelta {
  readonly sku: string;
  readonly currency: string;
  readonly name: string;
  readonly quantity: bigint;
  readonly revenue: bigint;
  readonly orders: number;
}

export interface ReportDeltas {
  readonly daily: readonly DailyDelta[];
  readonly customers: readonly CustomerDelta[];
  readonly skus: readonly SkuDelta[];
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Byte order of UTF-8, like `collate "C"` in PostgreSQL, so both sides break ties the same way. */
export function compareC(a: string, b: string): number {
  // Without surrogate pairs, UTF-16 code unit order is code point order, which is UTF-8 byte order.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** True when order `a` is newer than `b`: later createdAt, or the same with a greater order id. */
export function isNewerOrder(a: LatestOrder, b: LatestOrder): boolean {
  const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  return byTime !== 0 ? byTime > 0 : compareC(a.orderId, b.orderId) > 0;
}

const keyOf = (...parts: string[]) => JSON.stringify(parts);

function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => compareC(a, b)).map(([, value]) => value);
}

type MutableDaily = { -readonly [K in keyof DailyDelta]: DailyDelta[K] };
type MutableCustomer = { -readonly [K in keyof CustomerDelta]: CustomerDelta[K] };
type MutableSku = { -readonly [K in keyof SkuDelta]: SkuDelta[K] };

function addDaily(map: Map<string, MutableDaily>, c: Contribution, sign: 1 | -1): void {
  const key = keyOf(c.day, c.status, c.currency);
  const row = map.get(key) ?? { day: c.day, status: c.status, currency: c.currency, orders: 0, revenue: 0n };
  row.orders += sign;
  row.revenue += BigInt(sign) * BigInt(c.totalAmount);
  map.set(key, row);
}

const customerKey = (c: Contribution) => keyOf(c.customerId, c.currency);

function customerRow(map: Map<string, MutableCustomer>, c: Contribution): MutableCustomer {
  const key = customerKey(c);
  let row = map.get(key);
  if (row === undefined) {
    row = {
      customerId: c.customerId,
      currency: c.currency,
      orders: 0,
      confirmedOrders: 0,
      cancelledOrders: 0,
      lifetimeRevenue: 0n,
      firstOrderAt: null,
      latest: null,
      recompute: false,
    };
    map.set(key, row);
  }
  return row;
}

function addCustomer(row: MutableCustomer, c: Contribution, sign: 1 | -1): void {
  row.orders += sign;
  if (c.status === 'confirmed') {
    row.confirmedOrders += sign;
    row.lifetimeRevenue += BigInt(sign) * BigInt(c.totalAmount);
  }
  if (c.status === 'cancelled') row.cancelledOrders += sign;
}

function join(row: MutableCustomer, c: Contribution): void {
  if (row.firstOrderAt === null || Date.parse(c.createdAt) < Date.parse(row.firstOrderAt)) {
    row.firstOrderAt = c.createdAt;
  }
  const order: LatestOrder = {
    orderId: c.orderId,
    createdAt: c.createdAt,
    name: c.customerName,
    email: c.customerEmail,
  };
  if (row.latest === null || isNewerOrder(order, row.latest)) row.latest = order;
}

function changeCustomers(map: Map<string, MutableCustomer>, { before, after }: ContributionChange): void {
  const afterRow = customerRow(map, after);
  addCustomer(afterRow, after, 1);
  if (before === null || customerKey(before) !== customerKey(after)) {
    join(afterRow, after);
    if (before !== null) {
      const beforeRow = customerRow(map, before);
      addCustomer(beforeRow, before, -1);
      beforeRow.recompute = true;
    }
    return;
  }
  addCustomer(afterRow, before, -1);
  const moved =
    before.createdAt !== after.createdAt ||
    before.customerName !== after.customerName ||
    before.customerEmail !== after.customerEmail;
  if (moved) afterRow.recompute = true;
}

/** A confirmed order's lines per (sku, name): the SKU report counts confirmed orders only. */
function addSkus(map: Map<string, MutableSku>, c: Contribution, sign: 1 | -1): void {
  if (c.status !== 'confirmed') return;
  const counted = new Set<string>();
  for (const line of c.lines) {
    const key = keyOf(line.sku, c.currency, line.name);
    const row = map.get(key) ?? {
      sku: line.sku,
      currency: c.currency,
      name: line.name,
      quantity: 0n,
      revenue: 0n,
      orders: 0,
    };
    row.quantity += BigInt(sign) * BigInt(line.quantity);
    row.revenue += BigInt(sign) * BigInt(line.lineTotal);
    // An order counts once per key, even if it had two lines of the same SKU and name.
    if (!counted.has(key)) row.orders += sign;
    counted.add(key);
    map.set(key, row);
  }
}

const isZeroDaily = (d: DailyDelta) => d.orders === 0 && d.revenue === 0n;
const isZeroCustomer = (d: CustomerDelta) =>
  d.orders === 0 &&
  d.confirmedOrders === 0 &&
  d.cancelledOrders === 0 &&
  d.lifetimeRevenue === 0n &&
  d.latest === null &&
  !d.recompute;
const isZeroSku = (d: SkuDelta) => d.quantity === 0n && d.revenue === 0n && d.orders === 0;

/**
 * The deltas of a set of contribution changes (at most one per order), with the keys whose deltas cancel
 * out left out, sorted by key (the order in which the SQL side locks the rows).
 */
export function reportDeltas(changes: readonly ContributionChange[]): ReportDeltas {
  const daily = new Map<string, MutableDaily>();
  const customers = new Map<string, MutableCustomer>();
  const skus = new Map<string, MutableSku>();
  for (const change of changes) {
    const { before, after } = change;
    addDaily(daily, after, 1);
    addSkus(skus, after, 1);
    if (before !== null) {
      addDaily(daily, before, -1);
      addSkus(skus, before, -1);
    }
    changeCustomers(customers, change);
  }
  return {
    daily: sortedValues(daily).filter((d) => !isZeroDaily(d)),
    customers: sortedValues(customers).filter((d) => !isZeroCustomer(d)),
    skus: sortedValues(skus).filter((d) => !isZeroSku(d)),
  };
}
