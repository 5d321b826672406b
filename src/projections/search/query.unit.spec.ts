import type { estypes } from '@elastic/elasticsearch';
import { TributaryError } from '../../errors';
import { decodeCursor, encodeCursor } from './cursor';
import type { OrderDocument } from './mapping';
import { SEARCH_SORTS, type SearchParams } from './params';
import { buildSearchRequest, toSearchResult } from './query';

const INDEX = 'test-orders';
const page = (params: SearchParams) => buildSearchRequest(params).page;

function invalid(params: SearchParams): { path: string; message: string }[] {
  try {
    buildSearchRequest(params);
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    const tributary = error as TributaryError;
    expect(tributary.code).toBe('input.invalid');
    expect(tributary.retriable).toBe(false);
    return tributary.details.errors as { path: string; message: string }[];
  }
  throw new Error(`expected ${JSON.stringify(params)} to be refused`);
}

const paths = (params: SearchParams) => invalid(params).map((error) => error.path);

type Response = estypes.SearchResponseBody<OrderDocument>;

function pageResponse(hits: { id: string; sort: [number, string] }[]): Response {
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, failed: 0 },
    hits: {
      hits: hits.map(({ id, sort }) => ({ _index: INDEX, _id: id, _source: { id } as OrderDocument, sort })),
    },
  };
}

function countsResponse(total: number, wrapped = true): Response {
  const facet = (key: string) =>
    (wrapped
      ? { doc_count: total, values: { buckets: [{ key, doc_count: total }] } }
      : { buckets: [{ key, doc_count: total }] }) as unknown as estypes.AggregationsAggregate;
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, failed: 0 },
    hits: { total: { value: total, relation: 'eq' }, hits: [] },
    aggregations: { status: facet('pending'), currency: facet('EUR') },
  };
}

describe('buildSearchRequest', () => {
  it('without parameters the page is the newest orders plus one, and the counts are exact totals and facets', () => {
    const { page, counts } = buildSearchRequest({});
    expect(page.size).toBe(21);
    expect(page.sort).toEqual([{ createdAt: 'desc' }, { id: 'asc' }]);
    // The page does not count (so Lucene may skip), the counts return no hits (so nothing is sorted).
    expect(page.track_total_hits).toBe(false);
    expect(page.aggs).toBeUndefined();
    expect(counts.size).toBe(0);
    expect(counts.sort).toBeUndefined();
    expect(counts.track_total_hits).toBe(true);
    // No other facet filter to apply: plain terms aggregations, not wrapped in a match-all filter.
    expect(counts.aggs).toEqual({
      status: { terms: { field: 'status', size: 3 } },
      currency: { terms: { field: 'currency', size: 200 } },
    });
    for (const request of [page, counts]) {
      expect(request.post_filter).toBeUndefined();
      expect(request.search_after).toBeUndefined();
      expect(request.query).toEqual({ bool: { filter: [] } });
    }
  });

  it('every sort is tie-broken by order id, so each order has one position for search_after', () => {
    for (const sort of SEARCH_SORTS) {
      const request = page({ sort, q: 'x' });
      expect((request.sort as unknown[]).at(-1)).toEqual({ id: 'asc' });
      expect((request.sort as unknown[]).length).toBe(2);
    }
    expect(page({ sort: '-totalAmount' }).sort).toEqual([{ totalAmount: 'desc' }, { id: 'asc' }]);
  });

  it('full text defaults to relevance order and sends the words as plain data, never as query syntax', () => {
    for (const q of [
      '"a AND (',
      '<script>alert(1)</script>',
      "'; drop table orders; --",
      '*',
      '\\',
      'a:b~2^3',
    ]) {
      const { page: request, counts: other } = buildSearchRequest({ q });
      expect(other.query).toEqual(request.query);
      const json = JSON.stringify([request, other]);
      expect(json).not.toMatch(/query_string|simple_query_string|wildcard|prefix|regexp|fuzzy/);
      expect(request.sort).toEqual([{ _score: { order: 'desc' } }, { id: 'asc' }]);
      const must = (request.query?.bool?.must as estypes.QueryDslQueryContainer[])[0]!;
      const should = must.bool!.should as estypes.QueryDslQueryContainer[];
      expect(should[0]).toEqual({ match: { fullText: { query: q.trim(), operator: 'and' } } });
      for (const clause of should.slice(1)) {
        expect(Object.values(clause.term!)[0]).toEqual({ value: q.trim(), boost: 10 });
      }
      expect(must.bool!.minimum_should_match).toBe(1);
    }
  });

  it('maps each filter; for the counts, status and currency sit in post_filter so their facets ignore their own filter', () => {
    const { page: request, counts: countRequest } = buildSearchRequest({
      status: ['pending', 'confirmed'],
      customerId: 'cust-1',
      currency: 'EUR',
      minAmount: 100,
      maxAmount: 5000,
      createdFrom: '2026-11-01T01:00:00+01:00',
      createdTo: '2026-11-02T00:00:00Z',
      sku: 'sku-a',
    });
    const filters = [
      { term: { 'customer.id': 'cust-1' } },
      { term: { 'lines.sku': 'sku-a' } },
      { range: { totalAmount: { gte: 100, lte: 5000 } } },
      // Normalized to UTC; from inclusive, to exclusive.
      { range: { createdAt: { gte: '2026-11-01T00:00:00.000Z', lt: '2026-11-02T00:00:00.000Z' } } },
    ];
    const status = { terms: { status: ['pending', 'confirmed'] } };
    const currency = { term: { currency: 'EUR' } };
    // The page: every filter in the query.
    expect(request.query).toEqual({ bool: { filter: [...filters, status, currency] } });
    expect(request.post_filter).toBeUndefined();
    // The counts: the same orders in total, but each facet sees the orders the other facet's filter allows.
    expect(countRequest.query).toEqual({ bool: { filter: filters } });
    expect(countRequest.post_filter).toEqual({ bool: { filter: [status, currency] } });
    expect(countRequest.aggs?.status?.filter).toEqual(currency);
    expect(countRequest.aggs?.currency?.filter).toEqual(status);
  });

  it("a customer's scope filters the page, the total and every facet in the query itself", () => {
    const { page: pageSearch, counts } = buildSearchRequest({ customerScope: 'c-1', status: ['pending'] });
    const scope = { term: { 'customer.id': 'c-1' } };
    expect(pageSearch.query?.bool?.filter).toEqual(expect.arrayContaining([scope]));
    // In the counts' query (not its post_filter), so the facets are counted over the scoped orders only.
    expect(counts.query?.bool?.filter).toEqual([scope]);
    // Asking for another customer's orders then matches nothing: both filters must hold.
    const other = buildSearchRequest({ customerScope: 'c-1', customerId: 'c-2' }).counts;
    expect(other.query?.bool?.filter).toEqual([scope, { term: { 'customer.id': 'c-2' } }]);
  });

  it('a one-sided amount or date range leaves the other side open', () => {
    const request = page({ minAmount: 0, createdTo: '2026-11-02T00:00:00Z' });
    expect(request.query?.bool?.filter).toEqual([
      { range: { totalAmount: { gte: 0, lte: undefined } } },
      { range: { createdAt: { gte: undefined, lt: '2026-11-02T00:00:00.000Z' } } },
    ]);
  });

  it('refuses parameters that cannot mean anything, listing every one by name', () => {
    expect(paths({ minAmount: 10, maxAmount: 9 })).toEqual(['minAmount']);
    expect(paths({ createdFrom: '2026-11-02T00:00:00Z', createdTo: '2026-11-01T00:00:00Z' })).toEqual([
      'createdFrom',
    ]);
    expect(paths({ createdFrom: '2026-02-31T00:00:00Z' })).toEqual(['createdFrom']);
    expect(paths({ createdTo: 'yesterday' })).toEqual(['createdTo']);
    expect(paths({ createdTo: '2026-11-01T23:59:60Z' })).toEqual(['createdTo']);
    expect(paths({ size: 0 })).toEqual(['size']);
    expect(paths({ size: 101 })).toEqual(['size']);
    expect(paths({ size: 1.5 })).toEqual(['size']);
    expect(paths({ minAmount: -1 })).toEqual(['minAmount']);
    expect(paths({ maxAmount: 2 ** 60 })).toEqual(['maxAmount']);
    expect(paths({ sort: 'price' as never })).toEqual(['sort']);
    expect(paths({ sort: 'relevance' })).toEqual(['sort']);
    expect(paths({ q: '   ' })).toEqual(['q']);
    expect(paths({ q: 'x'.repeat(201) })).toEqual(['q']);
    expect(paths({ status: ['shipped' as never] })).toEqual(['status']);
    expect(paths({ currency: 'eur' })).toEqual(['currency']);
    expect(paths({ customerId: '' })).toEqual(['customerId']);
    expect(paths({ size: 0, minAmount: 5, maxAmount: 1, currency: 'x' })).toEqual([
      'currency',
      'minAmount',
      'size',
    ]);
  });

  it('accepts the boundaries: size 1 and 100, min = max, from = to', () => {
    expect(page({ size: 1 }).size).toBe(2);
    expect(page({ size: 100 }).size).toBe(101);
    expect(() => buildSearchRequest({ minAmount: 7, maxAmount: 7 })).not.toThrow();
    const at = '2026-11-01T00:00:00Z';
    expect(() => buildSearchRequest({ createdFrom: at, createdTo: at })).not.toThrow();
  });
});

describe('cursors', () => {
  it('a cursor round-trips into search_after for the same sort', () => {
    const cursor = encodeCursor('-createdAt', [1_793_527_200_000, 'order-1']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, '-createdAt')).toEqual([1_793_527_200_000, 'order-1']);
    const { page: request, counts: countRequest } = buildSearchRequest({ cursor });
    expect(countRequest.search_after).toBeUndefined();
    expect(request.search_after).toEqual([1_793_527_200_000, 'order-1']);
  });

  it('a relevance cursor keeps a fractional score exactly', () => {
    const cursor = encodeCursor('relevance', [2.3025851249694824, 'order-1']);
    expect(page({ q: 'ada', cursor }).search_after).toEqual([2.3025851249694824, 'order-1']);
  });

  it('a tampered or foreign cursor is invalid input, never passed to Elasticsearch', () => {
    const good = encodeCursor('-createdAt', [1_793_527_200_000, 'order-1']);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const tampered = [
      good.slice(0, -2) + (good.endsWith('A') ? 'BB' : 'AA'),
      `${good}x`,
      'not a cursor!',
      '%7B%7D',
      b64({ s: '-createdAt', a: [1, 'order-1'], extra: true }),
      b64({ s: '-createdAt', a: ['1', 'order-1'] }),
      b64({ s: '-createdAt', a: [1.5, 'order-1'] }),
      b64({ s: '-createdAt', a: [1, 2] }),
      b64({ s: '-createdAt', a: [1, 'order-1', 3] }),
      b64({ s: '-createdAt', a: [{ script: 'x' }, 'order-1'] }),
      b64({ s: 'createdAt', a: [1, 'order-1'] }), // another sort
      b64({ s: '<script>', a: [1, 'order-1'] }),
      b64([1, 'order-1']),
      b64(null),
      'A'.repeat(600),
    ];
    for (const cursor of tampered) {
      const errors = invalid({ cursor });
      expect(errors).toHaveLength(1);
      expect(errors[0]!.path).toBe('cursor');
    }
    expect(invalid({ cursor: b64({ s: 'createdAt', a: [1, 'order-1'] }) })[0]!.message).toMatch(
      /made for sort createdAt/,
    );
    expect(invalid({ cursor: b64({ s: '<script>', a: [1, 'o'] }) })[0]!.message).not.toMatch(/script/);
  });
});

describe('toSearchResult', () => {
  it('a page that got one order more than its size has a next cursor from its last order', () => {
    const hits = [1, 2, 3].map((n) => ({ id: `o-${n}`, sort: [n * 1000, `o-${n}`] as [number, string] }));
    const result = toSearchResult({ size: 2 }, pageResponse(hits), countsResponse(7));
    expect(result.orders.map((order) => order.id)).toEqual(['o-1', 'o-2']);
    expect(result.total).toBe(7);
    expect(result.nextCursor).not.toBeNull();
    expect(decodeCursor(result.nextCursor!, '-createdAt')).toEqual([2000, 'o-2']);
  });

  it('the last page has no next cursor', () => {
    const hits = [1, 2].map((n) => ({ id: `o-${n}`, sort: [n, `o-${n}`] as [number, string] }));
    expect(toSearchResult({ size: 2 }, pageResponse(hits), countsResponse(2)).nextCursor).toBeNull();
    expect(toSearchResult({}, pageResponse([]), countsResponse(0)).nextCursor).toBeNull();
  });

  it('the status facet lists every status, zero included', () => {
    const hits = pageResponse([{ id: 'o', sort: [1, 'o'] }]);
    const plain = toSearchResult({}, hits, countsResponse(1, false));
    const result = toSearchResult({}, hits, countsResponse(1, true));
    expect(plain.facets).toEqual(result.facets);
    expect(result.facets).toEqual({
      status: { pending: 1, confirmed: 0, cancelled: 0 },
      currency: { EUR: 1 },
    });
  });
});
