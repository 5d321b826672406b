import type { Client, estypes } from '@elastic/elasticsearch';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { decodeCursor, encodeCursor, isParamError, type CursorValues } from './cursor';
import { isRetriableItemFailure, toSearchError } from './failures';
import { ordersAlias } from './indices';
import { FULL_TEXT_FIELD, type OrderDocument } from './mapping';
import {
  checkSearchParams,
  ORDER_STATUSES,
  sizeOf,
  sortOf,
  utcOf,
  type ParamError,
  type SearchParams,
  type SearchSort,
} from './params';

/**
 * Searching the orders read model: one `msearch` per page with two sibling searches, `page` (the sorted
 * orders after the cursor) and `counts` (exact total and facet counts). Apart they are about twice as fast
 * as one search doing both: the page alone can skip documents that cannot make the page, and the counts
 * alone need no sorting and no hits (and Elasticsearch's request cache serves repeats until the next
 * refresh). The price: the two may see consecutive refreshes, so during writes the counts can be one
 * refresh (≤ 1 s) apart from the page. `buildSearchRequest` is pure, so both requests are unit-tested.
 *
 * Facets are counted the way faceted search UIs expect: the counts of a field ignore that field's own filter
 * (so with `status=pending` the status facet still says how many confirmed orders match everything else),
 * which is why the counts search has the status and currency filters in `post_filter` and each facet
 * re-applies the other.
 */

/** Facet counts: matching orders per value. `status` lists every status, zero included. */
export interface SearchFacets {
  readonly status: Record<string, number>;
  readonly currency: Record<string, number>;
}

/** A page of orders. */
export interface SearchResult {
  /** Orders matching every filter (exact). */
  readonly total: number;
  /** This page, in the requested sort order. */
  readonly orders: OrderView[];
  readonly facets: SearchFacets;
  /** Pass as `cursor` (with the same sort) for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

type Query = estypes.QueryDslQueryContainer;

/** The sort clauses of `sort`: the field, then the order id, so every order has a unique position. */
const SORT_CLAUSES: Record<SearchSort, estypes.SortCombinations[]> = {
  createdAt: [{ createdAt: 'asc' }, { id: 'asc' }],
  '-createdAt': [{ createdAt: 'desc' }, { id: 'asc' }],
  updatedAt: [{ updatedAt: 'asc' }, { id: 'asc' }],
  '-updatedAt': [{ updatedAt: 'desc' }, { id: 'asc' }],
  totalAmount: [{ totalAmount: 'asc' }, { id: 'asc' }],
  '-totalAmount': [{ totalAmount: 'desc' }, { id: 'asc' }],
  relevance: [{ _score: { order: 'desc' } }, { id: 'asc' }],
};

// Keyword fields where the whole query string may be an exact value: an order id pasted in, an email, a SKU.
const EXACT_FIELDS = ['id', 'customer.id', 'customer.email', 'customer.name.keyword', 'lines.sku'];
const EXACT_BOOST = 10;
const CURRENCY_FACET_SIZE = 200; // more than there are ISO 4217 codes: the facet is complete

/**
 * Full text as plain data: a `match` query has no syntax, so quotes, brackets, `*`, `\` or `AND (` are
 * searched for rather than interpreted, and no input makes Elasticsearch fail to parse the query. Every
 * word must occur (in any of the searched fields); an exact whole-value hit ranks first.
 */
function fullTextQuery(q: string): Query {
  const text = q.trim();
  return {
    bool: {
      should: [
        { match: { [FULL_TEXT_FIELD]: { query: text, operator: 'and' } } },
        ...EXACT_FIELDS.map((field) => ({ term: { [field]: { value: text, boost: EXACT_BOOST } } })),
      ],
      minimum_should_match: 1,
    },
  };
}

/**
 * The counts of `field` among the matches, restricted by the other facet's filter when there is one. Without
 * one the terms aggregation stands alone: wrapping it in a match-all filter doubles its cost (measured).
 */
function facet(
  field: string,
  size: number,
  otherFilter: Query | undefined,
): estypes.AggregationsAggregationContainer {
  const terms = { terms: { field, size } };
  return otherFilter === undefined ? terms : { filter: otherFilter, aggs: { values: terms } };
}

function invalidParams(errors: readonly ParamError[]): TributaryError {
  const listed = errors.map(({ path, message }) => `${path} ${message}`).join('; ');
  return new TributaryError('input.invalid', `The search is invalid: ${listed}.`, {
    details: { errors },
  });
}

/** The two sibling searches of a page (see the top of this file). */
export interface SearchRequests {
  /** The page: one order more than its size, to know whether a next page exists without another request. */
  readonly page: estypes.MsearchMultisearchBody;
  /** Exact total (after every filter) and the facets; no hits. */
  readonly counts: estypes.MsearchMultisearchBody;
}

/**
 * The Elasticsearch searches for `params`.
 * @throws TributaryError `input.invalid` with `details.errors` (by parameter name) for unusable params.
 */
export function buildSearchRequest(params: SearchParams): SearchRequests {
  const sort = sortOf(params);
  const errors = checkSearchParams(params);
  let after: CursorValues | undefined;
  if (params.cursor !== undefined && errors.length === 0) {
    const decoded = decodeCursor(params.cursor, sort);
    if (isParamError(decoded)) errors.push(decoded);
    else after = decoded;
  }
  if (errors.length > 0) throw invalidParams(errors);

  const filters: Query[] = [];
  if (params.customerScope !== undefined) filters.push({ term: { 'customer.id': params.customerScope } });
  if (params.customerId !== undefined) filters.push({ term: { 'customer.id': params.customerId } });
  if (params.sku !== undefined) filters.push({ term: { 'lines.sku': params.sku } });
  if (params.minAmount !== undefined || params.maxAmount !== undefined) {
    filters.push({ range: { totalAmount: { gte: params.minAmount, lte: params.maxAmount } } });
  }
  if (params.createdFrom !== undefined || params.createdTo !== undefined) {
    const gte = params.createdFrom === undefined ? undefined : utcOf(params.createdFrom);
    const lt = params.createdTo === undefined ? undefined : utcOf(params.createdTo);
    filters.push({ range: { createdAt: { gte, lt } } });
  }
  const statusFilter: Query | undefined =
    params.status !== undefined && params.status.length > 0
      ? { terms: { status: [...params.status] } }
      : undefined;
  const currencyFilter: Query | undefined =
    params.currency !== undefined ? { term: { currency: params.currency } } : undefined;
  const facetFilters = [statusFilter, currencyFilter].filter((q): q is Query => q !== undefined);
  const must = params.q !== undefined ? { must: [fullTextQuery(params.q)] } : {};

  return {
    page: {
      size: sizeOf(params) + 1,
      // Every filter in the query: the page has no facets, so nothing needs to see the unfiltered matches.
      query: { bool: { ...must, filter: [...filters, ...facetFilters] } },
      sort: SORT_CLAUSES[sort],
      ...(after !== undefined ? { search_after: [...after] } : {}),
      // Counting is the other search's job; not counting here lets Lucene skip non-competitive documents.
      track_total_hits: false,
    },
    counts: {
      size: 0,
      query: { bool: { ...must, filter: filters } },
      // The facet filters apply to the total but not to the facets, each of which re-applies the other.
      ...(facetFilters.length > 0 ? { post_filter: { bool: { filter: facetFilters } } } : {}),
      track_total_hits: true,
      aggs: {
        status: facet('status', ORDER_STATUSES.length, currencyFilter),
        currency: facet('currency', CURRENCY_FACET_SIZE, statusFilter),
      },
    },
  };
}

type Buckets = { buckets?: estypes.AggregationsStringTermsBucket[] };
type FacetAggregate = Buckets & { values?: Buckets };

function countsOf(aggregate: estypes.AggregationsAggregate | undefined): Record<string, number> {
  const facet = aggregate as FacetAggregate | undefined;
  const buckets = facet?.values?.buckets ?? facet?.buckets;
  const counts: Record<string, number> = {};
  for (const bucket of Array.isArray(buckets) ? buckets : []) counts[String(bucket.key)] = bucket.doc_count;
  return counts;
}

type SearchResponse = estypes.SearchResponseBody<OrderDocument>;

/** The page, facets and next cursor from the responses to the `page` and `counts` searches of `params`. */
export function toSearchResult(
  params: SearchParams,
  page: SearchResponse,
  counts: SearchResponse,
): SearchResult {
  const size = sizeOf(params);
  const hits = page.hits.hits;
  const shown = hits.slice(0, size);
  const last = shown.at(-1);
  const nextCursor =
    hits.length > size && last?.sort !== undefined
      ? encodeCursor(sortOf(params), [Number(last.sort[0]), String(last.sort[1])])
      : null;
  const total = counts.hits.total;
  const statusCounts = countsOf(counts.aggregations?.status);
  return {
    total: typeof total === 'number' ? total : (total?.value ?? 0),
    orders: shown.map((hit) => hit._source!),
    facets: {
      status: Object.fromEntries(ORDER_STATUSES.map((status) => [status, statusCounts[status] ?? 0])),
      currency: countsOf(counts.aggregations?.currency),
    },
    nextCursor,
  };
}

/** One response of an msearch, or the error it carries as a TributaryError. */
function responseOf(item: estypes.MsearchResponseItem<OrderDocument>): SearchResponse {
  if (!('error' in item)) return item;
  const failure = {
    status: item.status,
    type: item.error.type,
    reason: item.error.reason ?? 'no reason given',
  };
  const message = `Searching orders failed: ${failure.status} ${failure.type}: ${failure.reason}`;
  if (isRetriableItemFailure(failure)) {
    throw new TributaryError('infra.unavailable', message, { retriable: true, details: failure });
  }
  // Not the caller's fault: the parameters were checked before anything was sent.
  throw new TributaryError('internal', message, { details: failure });
}

/**
 * One page of orders from the alias `<prefix>orders`.
 * @throws TributaryError `input.invalid` for unusable params (see buildSearchRequest); `infra.unavailable`
 *   (retriable) when Elasticsearch cannot answer or the alias does not exist yet.
 */
export async function searchOrders(es: Client, prefix: string, params: SearchParams): Promise<SearchResult> {
  const { page, counts } = buildSearchRequest(params);
  let response: estypes.MsearchResponse<OrderDocument>;
  try {
    response = await es.msearch<OrderDocument>({
      index: ordersAlias(prefix),
      searches: [{}, page, {}, counts],
    });
  } catch (error) {
    throw toSearchError(error, 'searching orders');
  }
  const [pageResponse, countsResponse] = response.responses.map(responseOf);
  return toSearchResult(params, pageResponse!, countsResponse!);
}
