import { SEARCH_LIMITS, SEARCH_SORTS, type ParamError, type SearchSort } from './params';

/**
 * Page cursors: the `search_after` values of a page's last order (its sort value and its id), with the sort
 * they belong to, as base64url JSON. Opaque to clients; checked strictly when it comes back, because it
 * goes into the Elasticsearch request: anything but a cursor this module made is refused as invalid input.
 */

/** The sort values of the last order of a page: the sort field's value and the order id (the tie-break). */
export type CursorValues = readonly [number, string];

interface CursorBody {
  /** The sort the values belong to. */
  s: SearchSort;
  /** search_after values. */
  a: CursorValues;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The cursor that continues after an order whose sort values are `values` under `sort`. */
export function encodeCursor(sort: SearchSort, values: CursorValues): string {
  const body: CursorBody = { s: sort, a: [values[0], values[1]] };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function isValue(sort: SearchSort, value: unknown): value is number {
  // Scores are floats; dates (epoch milliseconds) and amounts are integers within the safe range.
  if (sort === 'relevance') return typeof value === 'number' && Number.isFinite(value);
  return Number.isSafeInteger(value);
}

/**
 * The search_after values of `cursor` for a search sorted by `sort`, or a ParamError (path `cursor`) when
 * it is not a cursor made by `encodeCursor` for that sort: not base64url, not JSON, other fields, values of
 * the wrong type, or made for another sort.
 */
export function decodeCursor(cursor: string, sort: SearchSort): CursorValues | ParamError {
  const invalid = (message: string): ParamError => ({ path: 'cursor', message });
  if (cursor.length > SEARCH_LIMITS.maxCursorLength || !BASE64URL.test(cursor)) {
    return invalid('is not a cursor returned by this API');
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalid('is not a cursor returned by this API');
  }
  const { s, a } = (typeof body === 'object' && body !== null ? body : {}) as Partial<CursorBody>;
  if (typeof s !== 'string' || !(SEARCH_SORTS as readonly string[]).includes(s)) {
    return invalid('is not a cursor returned by this API');
  }
  if (s !== sort) return invalid(`was made for sort ${s}; ask for the next page with the same sort`);
  if (
    !Array.isArray(a) ||
    a.length !== 2 ||
    !isValue(sort, a[0]) ||
    typeof a[1] !== 'string' ||
    a[1].length === 0 ||
    a[1].length > 200
  ) {
    return invalid('is not a cursor returned by this API');
  }
  const values: CursorValues = [a[0], a[1]];
  // Only the exact encoding this module produces: no extra fields, no alternative spellings.
  if (encodeCursor(sort, values) !== cursor) return invalid('is not a cursor returned by this API');
  return values;
}

/** True when `decodeCursor` failed. */
export function isParamError(value: CursorValues | ParamError): value is ParamError {
  return !Array.isArray(value);
}
