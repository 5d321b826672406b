import type { OrderStatus } from '../../domain/orders/state';

/**
 * What a search of orders can ask for, and the checks of meaning every caller gets (the HTTP route checks
 * the form of each parameter first; these checks are what a schema cannot say, such as min ≤ max).
 */

/** Sort orders: a field, descending with a leading `-`; `relevance` ranks `q` matches best first. */
export const SEARCH_SORTS = [
  'createdAt',
  '-createdAt',
  'updatedAt',
  '-updatedAt',
  'totalAmount',
  '-totalAmount',
  'relevance',
] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** Every order status, to filter by and to report facet counts for (zero included). */
export const ORDER_STATUSES = ['pending', 'confirmed', 'cancelled'] as const satisfies readonly OrderStatus[];
// Fails to compile when OrderStatus gains a member missing above.
const _everyStatus: readonly (typeof ORDER_STATUSES)[number][] = [] as OrderStatus[];

export const SEARCH_LIMITS = {
  defaultSize: 20,
  maxSize: 100,
  maxQueryLength: 200,
  maxCursorLength: 512,
} as const;

/** A search of orders. Every filter is optional; those given must all hold (AND). */
export interface SearchParams {
  /** Full text over order id, customer id, name and email, line SKUs and names, cancellation reason. */
  readonly q?: string;
  /** Any of these statuses. */
  readonly status?: readonly OrderStatus[];
  readonly customerId?: string;
  /**
   * Only this customer's orders, whatever else is asked (set from the caller's credential, never from the
   * query string): applied to the page, the total and the facets alike.
   */
  readonly customerScope?: string;
  /** ISO 4217 code, e.g. EUR. */
  readonly currency?: string;
  /** Smallest total, in minor units, inclusive. */
  readonly minAmount?: number;
  /** Largest total, in minor units, inclusive. */
  readonly maxAmount?: number;
  /** Created at or after this time (ISO 8601 with a zone), inclusive. */
  readonly createdFrom?: string;
  /** Created before this time (ISO 8601 with a zone), exclusive: consecutive ranges never overlap. */
  readonly createdTo?: string;
  /** Has a line with this SKU (exact). */
  readonly sku?: string;
  /** Default: `relevance` when `q` is given, else `-createdAt`. Ties are broken by order id. */
  readonly sort?: SearchSort;
  /** Orders per page, 1 to 100; default 20. */
  readonly size?: number;
  /** `nextCursor` of the previous page, asked for with the same sort. */
  readonly cursor?: string;
}

/** One parameter that cannot be used, by name. */
export interface ParamError {
  readonly path: string;
  readonly message: string;
}

/** The sort a search uses: the one asked for, or the default. */
export function sortOf(params: SearchParams): SearchSort {
  return params.sort ?? (params.q !== undefined ? 'relevance' : '-createdAt');
}

/** The page size a search uses. */
export function sizeOf(params: SearchParams): number {
  return params.size ?? SEARCH_LIMITS.defaultSize;
}

const CURRENCY = /^[A-Z]{3}$/;

function isAmount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

// Date.parse accepts much (and turns February 31 into March 3): only real RFC 3339 date-times are meant.
function timeOf(value: string): number {
  const match = DATE_TIME.exec(value);
  if (match === null) return Number.NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return Number.NaN;
  return Date.parse(value);
}

/** An RFC 3339 date-time as the UTC ISO string Elasticsearch is given; undefined when it is not one. */
export function utcOf(value: string): string | undefined {
  const time = timeOf(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * Every problem of `params` that does not depend on the cursor (cursor.ts checks that one), by parameter
 * name; empty when the search can run.
 */
export function checkSearchParams(params: SearchParams): ParamError[] {
  const errors: ParamError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  if (params.q !== undefined) {
    if (params.q.trim() === '') fail('q', 'must not be blank');
    else if (params.q.length > SEARCH_LIMITS.maxQueryLength) {
      fail('q', `must be at most ${SEARCH_LIMITS.maxQueryLength} characters`);
    }
  }
  for (const status of params.status ?? []) {
    if (!(ORDER_STATUSES as readonly string[]).includes(status)) {
      fail('status', `must be one of ${ORDER_STATUSES.join(', ')}`);
    }
  }
  if (params.currency !== undefined && !CURRENCY.test(params.currency)) {
    fail('currency', 'must be an upper-case ISO 4217 currency code, e.g. EUR');
  }
  for (const key of ['customerId', 'sku'] as const) {
    const value = params[key];
    if (value !== undefined && (value === '' || value.length > 100)) fail(key, 'must be 1-100 characters');
  }
  const { minAmount, maxAmount } = params;
  if (minAmount !== undefined && !isAmount(minAmount)) fail('minAmount', 'must be an integer >= 0');
  if (maxAmount !== undefined && !isAmount(maxAmount)) fail('maxAmount', 'must be an integer >= 0');
  if (minAmount !== undefined && maxAmount !== undefined && minAmount > maxAmount) {
    fail('minAmount', 'must not be greater than maxAmount');
  }
  const from = params.createdFrom === undefined ? undefined : timeOf(params.createdFrom);
  const to = params.createdTo === undefined ? undefined : timeOf(params.createdTo);
  if (Number.isNaN(from)) fail('createdFrom', 'must be an ISO 8601 date-time with a time zone');
  if (Number.isNaN(to)) fail('createdTo', 'must be an ISO 8601 date-time with a time zone');
  if (from !== undefined && to !== undefined && from > to) {
    fail('createdFrom', 'must not be later than createdTo');
  }
  if (params.sort !== undefined && !SEARCH_SORTS.includes(params.sort)) {
    fail('sort', `must be one of ${SEARCH_SORTS.join(', ')}`);
  }
  if (params.sort === 'relevance' && params.q === undefined) {
    fail('sort', 'relevance needs a full-text query (q)');
  }
  const size = sizeOf(params);
  if (!Number.isInteger(size) || size < 1 || size > SEARCH_LIMITS.maxSize) {
    fail('size', `must be an integer from 1 to ${SEARCH_LIMITS.maxSize}`);
  }
  return errors;
}
