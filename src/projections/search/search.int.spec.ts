import { Client } from '@elastic/elasticsearch';
import type { OrderCommand } from '../../domain/orders/commands';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { isolate, type Isolated } from '../../../test/harness';
import { orderHistory, randomOrderHistory } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import { sleep } from '../../util';
import type { ProjectionEvent } from '../types';
import {
  createOrdersIndex,
  createSearchProjection,
  currentOrdersIndices,
  dropIndices,
  ensureOrdersIndex,
  ordersAlias,
  searchOrders,
  SEARCH_SORTS,
  swapOrdersAlias,
  writeOrderDocuments,
  type SearchParams,
  type SearchResult,
  type SearchSort,
} from '.';

/**
 * The search read model against a real Elasticsearch: index and alias management, idempotent writes with
 * external versioning, failure classification, and every query feature checked against an in-memory oracle.
 */

let isolated: Isolated;
let es: Client;
let base: string;

beforeAll(async () => {
  isolated = await isolate(__filename);
  es = isolated.elasticsearch();
  base = isolated.config.indexPrefix;
});

afterAll(async () => {
  await isolated.cleanup();
});

/** A prefix of its own per test, under this file's prefix (cleanup deletes them all). */
let counter = 0;
const freshPrefix = () => `${base}${++counter}-`;

function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const finalViews = (histories: ProjectionEvent[][]) => histories.map((history) => history.at(-1)!.state);

/** Every document of `index`, by id, with its Elasticsearch `_version`. */
async function allDocuments(index: string): Promise<Map<string, { version: number; source: OrderView }>> {
  await es.indices.refresh({ index });
  const response = await es.search<OrderView>({ index, size: 10_000, version: true, sort: [{ id: 'asc' }] });
  return new Map(
    response.hits.hits.map((hit) => [hit._id!, { version: hit._version!, source: hit._source! }]),
  );
}

describe('indices and alias', () => {
  it('ensureOrdersIndex creates one index behind the alias, and concurrent or repeated calls agree on it', async () => {
    const prefix = freshPrefix();
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureOrdersIndex(es, prefix)));
    const [first] = results;
    expect(first).toEqual([`${prefix}orders-initial`]);
    for (const result of results) expect(result).toEqual(first);
    expect(await ensureOrdersIndex(es, prefix)).toEqual(first);
    expect(await currentOrdersIndices(es, prefix)).toEqual(first);

    const index = first![0]!;
    const mapping = await es.indices.getMapping({ index });
    expect(mapping[index]!.mappings.dynamic).toBe('strict');
    const settings = (await es.indices.getSettings({ index }))[index]!.settings!.index!;
    expect(settings.number_of_shards).toBe('1');
    expect(settings.number_of_replicas).toBe('0');
    expect(settings.refresh_interval).toBe('500ms');
  });

  it('the refresh interval is configurable: new indices get it, and the indices behind an existing alias are set to it', async () => {
    const prefix = freshPrefix();
    const refreshOf = async (index: string) =>
      (await es.indices.getSettings({ index }))[index]!.settings!.index!.refresh_interval;
    const [live] = await ensureOrdersIndex(es, prefix, { refreshIntervalMs: 700 });
    expect(await refreshOf(live!)).toBe('700ms');
    expect(await ensureOrdersIndex(es, prefix)).toEqual([live]); // without options: left as it is
    expect(await refreshOf(live!)).toBe('700ms');
    expect(await ensureOrdersIndex(es, prefix, { refreshIntervalMs: 2_000 })).toEqual([live]);
    expect(await refreshOf(live!)).toBe('2000ms');
    const next = await createOrdersIndex(es, prefix, { refreshIntervalMs: 250 });
    expect(await refreshOf(next)).toBe('250ms');
  });

  it('the index behind the alias cannot be dropped by mistake; a replaced one can', async () => {
    const prefix = freshPrefix();
    const [live] = await ensureOrdersIndex(es, prefix);
    await expect(dropIndices(es, prefix, [live!])).rejects.toThrow(/alias .* points to it/);
    expect(await es.indices.exists({ index: live! })).toBe(true);

    const next = await createOrdersIndex(es, prefix);
    expect(next).toMatch(new RegExp(`^${prefix}orders-\\d{17}-[0-9a-f]{6}$`));
    expect(await swapOrdersAlias(es, prefix, next)).toEqual([live]);
    expect(await currentOrdersIndices(es, prefix)).toEqual([next]);
    expect(await swapOrdersAlias(es, prefix, next)).toEqual([]); // already there: nothing moves
    await dropIndices(es, prefix, [live!]);
    expect(await es.indices.exists({ index: live! })).toBe(false);
  });

  it('moving the alias is atomic: searches running throughout always see exactly one full index', async () => {
    const prefix = freshPrefix();
    const random = seededRandom(7);
    const views = finalViews(Array.from({ length: 200 }, () => randomOrderHistory(random)));
    const [a] = await ensureOrdersIndex(es, prefix);
    const b = await createOrdersIndex(es, prefix);
    for (const index of [a!, b]) {
      await writeOrderDocuments(es, index, views);
      await es.indices.refresh({ index });
    }

    let stop = false;
    const totals: number[] = [];
    const failures: unknown[] = [];
    const searcher = (async () => {
      while (!stop) {
        try {
          totals.push((await searchOrders(es, prefix, { size: 5 })).total);
        } catch (error) {
          failures.push(error);
        }
      }
    })();
    for (let i = 0; i < 20; i++) {
      await swapOrdersAlias(es, prefix, i % 2 === 0 ? b : a!);
      await sleep(10);
    }
    stop = true;
    await searcher;

    expect(failures).toEqual([]);
    expect(totals.length).toBeGreaterThan(20);
    expect(new Set(totals)).toEqual(new Set([views.length]));
    expect(await currentOrdersIndices(es, prefix)).toEqual([a]);
  });
});

describe('writes', () => {
  it('duplicates and shuffled deliveries leave every document identical to one clean, in-order delivery', async () => {
    const prefix = freshPrefix();
    const random = seededRandom(42);
    const histories = Array.from({ length: 150 }, () => randomOrderHistory(random));

    // Clean: each event once, in order, one call per event.
    await ensureOrdersIndex(es, prefix);
    const clean = await createOrdersIndex(es, prefix);
    for (const event of histories.flat()) await writeOrderDocuments(es, clean, [event.state]);

    // Messy: through the projection, every event two or three times, all shuffled, in small batches so
    // older versions of an order regularly arrive in a later call than newer ones.
    const projection = createSearchProjection({ es, prefix });
    const copies = histories
      .flat()
      .flatMap((event) => (random() < 0.5 ? [event, event] : [event, event, event]));
    const messy = shuffle(random, copies);
    for (let i = 0; i < messy.length;) {
      const size = 1 + Math.floor(random() * 8);
      await projection.apply(messy.slice(i, i + size));
      i += size;
    }

    const expected = await allDocuments(clean);
    const actual = await allDocuments(ordersAlias(prefix));
    expect(actual.size).toBe(histories.length);
    expect(actual).toEqual(expected);
    for (const view of finalViews(histories)) {
      expect(actual.get(view.id)).toEqual({ version: view.version, source: view });
    }
  });

  it('a write older than or equal to the stored version counts as stale, not as a failure, and changes nothing', async () => {
    const prefix = freshPrefix();
    const [index] = await ensureOrdersIndex(es, prefix);
    const history = randomOrderHistory(seededRandom(3));
    const [v1, v2] = [
      history[0]!.state,
      { ...history[0]!.state, version: 2, updatedAt: '2026-12-01T00:00:00.000Z' },
    ];
    expect(await writeOrderDocuments(es, index!, [v2])).toEqual({ written: 1, stale: 0, superseded: 0 });
    expect(await writeOrderDocuments(es, index!, [v1])).toEqual({ written: 0, stale: 1, superseded: 0 });
    expect(await writeOrderDocuments(es, index!, [v2])).toEqual({ written: 0, stale: 1, superseded: 0 });
    const stored = await es.get<OrderView>({ index: index!, id: v1.id });
    expect(stored._version).toBe(2);
    expect(stored._source).toEqual(v2);
  });

  it('a batch with several versions of an order sends only the newest', async () => {
    const prefix = freshPrefix();
    const [index] = await ensureOrdersIndex(es, prefix);
    const views = randomOrderHistory(seededRandom(5)).map((event) => event.state);
    const older = views.slice(0, -1);
    const stats = await writeOrderDocuments(es, index!, [...views].reverse());
    expect(stats).toEqual({ written: 1, stale: 0, superseded: older.length });
    expect((await es.get<OrderView>({ index: index!, id: views[0]!.id }))._source).toEqual(views.at(-1));
  });

  it('a document the mapping refuses fails the call as non-retriable input.invalid naming the order; the others are stored', async () => {
    const prefix = freshPrefix();
    const [index] = await ensureOrdersIndex(es, prefix);
    const [good, other] = finalViews([
      randomOrderHistory(seededRandom(8)),
      randomOrderHistory(seededRandom(9)),
    ]);
    const bad = { ...other!, totalAmount: 'a lot' } as unknown as OrderView;

    const error = await writeOrderDocuments(es, index!, [good!, bad]).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TributaryError);
    const tributary = error as TributaryError;
    expect(tributary.code).toBe('input.invalid');
    expect(tributary.retriable).toBe(false);
    expect(tributary.message).toContain(bad.id);
    expect(tributary.details.failed).toBe(1);
    expect(tributary.details.failures).toEqual([
      {
        id: bad.id,
        status: 400,
        type: expect.stringMatching(/parsing_exception/),
        reason: expect.any(String),
      },
    ]);
    expect((await es.get<OrderView>({ index: index!, id: good!.id }))._source).toEqual(good);
    expect(await es.exists({ index: index!, id: bad.id })).toBe(false);
  });

  it('Elasticsearch out of reach makes writes and searches fail as retriable infra.unavailable', async () => {
    const down = new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 2000 });
    const views = finalViews([randomOrderHistory(seededRandom(10))]);
    try {
      const attempts = [
        () => writeOrderDocuments(down, 'x-orders', views),
        () => searchOrders(down, 'x-', {}),
        () => createSearchProjection({ es: down, prefix: 'x-' }).apply(randomOrderHistory(seededRandom(11))),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).rejects.toMatchObject({ code: 'infra.unavailable', retriable: true });
      }
    } finally {
      await down.close();
    }
  });

  it('writing through a missing alias is retriable and never auto-creates an index in its place', async () => {
    const prefix = freshPrefix();
    const alias = ordersAlias(prefix);
    const views = finalViews([randomOrderHistory(seededRandom(12))]);
    await expect(writeOrderDocuments(es, alias, views, { requireAlias: true })).rejects.toMatchObject({
      code: 'infra.unavailable',
      retriable: true,
    });
    expect(await es.indices.exists({ index: alias })).toBe(false);
    // Searching before the projection ran: the read model is not there yet, which is also retriable (503).
    await expect(searchOrders(es, prefix, {})).rejects.toMatchObject({
      code: 'infra.unavailable',
      retriable: true,
    });
  });
});

// ---- queries against an oracle -------------------------------------------------------------------

const INJECTIONS = {
  script: '<script>alert(1)</script>',
  sql: "'; drop table orders; --",
  star: '*',
  backslash: '\\',
  syntax: '"a AND (',
};

function injectedOrders(): ProjectionEvent[][] {
  const create = (orderId: string, name: string, sku: string, lineName: string): OrderCommand => ({
    type: 'CreateOrder',
    orderId,
    customer: { id: `cust-${orderId}`, name, email: `${orderId}@example.com` },
    lines: [{ sku, name: lineName, quantity: 1, unitPrice: 100 }],
    currency: 'EUR',
    at: '2026-11-15T12:00:00.000Z',
  });
  return [
    orderHistory('inj-script', [create('inj-script', INJECTIONS.script, 'sku-x', 'plain item')]),
    orderHistory('inj-sql', [create('inj-sql', 'Sam Quill', 'sku-y', INJECTIONS.sql)]),
    orderHistory('inj-star', [create('inj-star', 'Stella Ar', INJECTIONS.star, 'starred item')]),
    orderHistory('inj-backslash', [
      create('inj-backslash', 'Bea Slash', INJECTIONS.backslash, 'slashed item'),
    ]),
    orderHistory('inj-syntax', [create('inj-syntax', INJECTIONS.syntax, 'sku-z', 'odd item')]),
  ];
}

type Filters = Omit<SearchParams, 'q' | 'sort' | 'size' | 'cursor'>;

/** What the filters select, computed in memory. */
function matches(view: OrderView, filters: Filters, ignore?: 'status' | 'currency'): boolean {
  const created = Date.parse(view.createdAt);
  return (
    (ignore === 'status' || filters.status === undefined || filters.status.includes(view.status)) &&
    (ignore === 'currency' || filters.currency === undefined || view.currency === filters.currency) &&
    (filters.customerId === undefined || view.customer.id === filters.customerId) &&
    (filters.sku === undefined || view.lines.some((line) => line.sku === filters.sku)) &&
    (filters.minAmount === undefined || view.totalAmount >= filters.minAmount) &&
    (filters.maxAmount === undefined || view.totalAmount <= filters.maxAmount) &&
    (filters.createdFrom === undefined || created >= Date.parse(filters.createdFrom)) &&
    (filters.createdTo === undefined || created < Date.parse(filters.createdTo))
  );
}

function countBy(views: OrderView[], key: (view: OrderView) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const view of views) counts[key(view)] = (counts[key(view)] ?? 0) + 1;
  return counts;
}

function sorted(views: OrderView[], sort: Exclude<SearchSort, 'relevance'>): string[] {
  const field = sort.replace('-', '') as 'createdAt' | 'updatedAt' | 'totalAmount';
  const value = (view: OrderView) => (field === 'totalAmount' ? view.totalAmount : Date.parse(view[field]));
  const direction = sort.startsWith('-') ? -1 : 1;
  return [...views]
    .sort((x, y) => direction * (value(x) - value(y)) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((view) => view.id);
}

describe('searchOrders', () => {
  let prefix: string;
  let views: OrderView[];

  beforeAll(async () => {
    prefix = freshPrefix();
    const random = seededRandom(2026);
    const histories = [...Array.from({ length: 300 }, () => randomOrderHistory(random)), ...injectedOrders()];
    views = finalViews(histories);
    const projection = createSearchProjection({ es, prefix });
    const events = histories.flat();
    for (let i = 0; i < events.length; i += 500) await projection.apply(events.slice(i, i + 500));
    await es.indices.refresh({ index: ordersAlias(prefix) });
  });

  /** Every page of a search, following nextCursor. */
  async function allPages(params: SearchParams): Promise<{ ids: string[]; pages: SearchResult[] }> {
    const pages: SearchResult[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchOrders(es, prefix, { ...params, cursor });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
      expect(pages.length).toBeLessThan(1000);
    } while (cursor !== undefined);
    return { ids: pages.flatMap((page) => page.orders.map((order) => order.id)), pages };
  }

  it('walking every page with the cursor yields each order once, in the requested order, for every sort', async () => {
    for (const sort of SEARCH_SORTS.filter((s): s is Exclude<SearchSort, 'relevance'> => s !== 'relevance')) {
      const { ids, pages } = await allPages({ sort, size: 23 });
      expect(ids).toEqual(sorted(views, sort));
      expect(new Set(ids).size).toBe(views.length);
      for (const page of pages) expect(page.total).toBe(views.length);
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(pages.slice(0, -1).every((page) => page.orders.length === 23)).toBe(true);
    }
  });

  it('relevance order pages through every match once too', async () => {
    const { ids } = await allPages({ q: 'customer', size: 17 });
    const expected = views.filter((view) => /customer/i.test(view.customer.name)).map((view) => view.id);
    expect(ids.length).toBe(expected.length);
    expect(new Set(ids)).toEqual(new Set(expected));
  });

  it('each filter, alone and combined, selects exactly the matching orders, with exact totals', async () => {
    const some = views[0]!;
    const cases: Filters[] = [
      { status: ['pending'] },
      { status: ['confirmed', 'cancelled'] },
      { customerId: some.customer.id },
      { currency: 'GBP' },
      { minAmount: 2000 },
      { maxAmount: 5000 },
      { minAmount: 2000, maxAmount: 10_000 },
      { createdFrom: '2026-11-10T00:00:00Z' },
      { createdTo: '2026-11-20T00:00:00+01:00' },
      { createdFrom: '2026-11-10T00:00:00Z', createdTo: '2026-11-20T00:00:00Z' },
      { sku: 'sku-c' },
      { status: ['pending'], currency: 'EUR', sku: 'sku-a', minAmount: 1000 },
      { customerId: 'nobody' },
    ];
    for (const filters of cases) {
      const expected = views.filter((view) => matches(view, filters));
      const { ids, pages } = await allPages({ ...filters, sort: 'createdAt', size: 100 });
      expect({ filters, ids }).toEqual({ filters, ids: sorted(expected, 'createdAt') });
      expect({ filters, total: pages[0]!.total }).toEqual({ filters, total: expected.length });
    }
  });

  it("facet counts of status and currency count the matching orders, each ignoring its own field's filter", async () => {
    const cases: Filters[] = [
      {},
      { status: ['pending'] },
      { currency: 'EUR', status: ['cancelled'] },
      { sku: 'sku-b' },
    ];
    for (const filters of cases) {
      const result = await searchOrders(es, prefix, { ...filters, size: 1 });
      const status = countBy(
        views.filter((view) => matches(view, filters, 'status')),
        (view) => view.status,
      );
      const currency = countBy(
        views.filter((view) => matches(view, filters, 'currency')),
        (view) => view.currency,
      );
      expect({ filters, facets: result.facets }).toEqual({
        filters,
        facets: { status: { pending: 0, confirmed: 0, cancelled: 0, ...status }, currency },
      });
    }
  });

  it('full text finds orders by customer name, email, order id, SKU, line name and cancellation reason', async () => {
    const ids = async (q: string) => (await allPages({ q, size: 100 })).ids;
    const grace = views.filter((view) => view.customer.name.startsWith('Grace')).map((view) => view.id);
    expect(new Set(await ids('grace'))).toEqual(new Set(grace));
    const one = views[3]!;
    expect((await ids(one.id))[0]).toBe(one.id);
    expect((await ids(one.customer.email)).sort()).toEqual(
      views
        .filter((view) => view.customer.email === one.customer.email)
        .map((view) => view.id)
        .sort(),
    );
    const cancelled = views
      .filter((view) => view.cancellationReason === 'customer asked')
      .map((view) => view.id);
    expect(new Set(await ids('customer asked'))).toEqual(new Set(cancelled));
    expect(cancelled.length).toBeGreaterThan(0);
    const withSkuD = views
      .filter((view) => view.lines.some((line) => line.sku === 'sku-d'))
      .map((view) => view.id);
    expect((await ids('sku-d')).slice(0, withSkuD.length).sort()).toEqual(withSkuD.sort());
    expect(await ids('slashed')).toEqual(['inj-backslash']);
  });

  it('injection strings are stored verbatim and found as plain text, never interpreted', async () => {
    for (const id of ['inj-script', 'inj-sql', 'inj-star', 'inj-backslash', 'inj-syntax']) {
      const stored = await es.get<OrderView>({ index: ordersAlias(prefix), id });
      expect(stored._source).toEqual(views.find((view) => view.id === id));
    }
    const found = async (q: string) =>
      (await searchOrders(es, prefix, { q, size: 100 })).orders.map((o) => o.id);
    expect(await found(INJECTIONS.script)).toEqual(['inj-script']);
    expect(await found('<script>')).toEqual(['inj-script']);
    expect(await found(INJECTIONS.sql)).toEqual(['inj-sql']);
    expect(await found(INJECTIONS.syntax)).toEqual(['inj-syntax']);
    // Not wildcards or escapes: only the orders that literally have them.
    expect(await found(INJECTIONS.star)).toEqual(['inj-star']);
    expect(await found(INJECTIONS.backslash)).toEqual(['inj-backslash']);
    for (const q of [
      'a AND (',
      '(',
      ')',
      '"',
      'a:b',
      'name:/.*/',
      '~1',
      '+-&&||!(){}[]^"~*?:\\/',
      'a OR b',
    ]) {
      await expect(searchOrders(es, prefix, { q })).resolves.toEqual(
        expect.objectContaining({ total: expect.any(Number) }),
      );
    }
  });

  it('a cursor tampered with is refused as invalid input before it reaches Elasticsearch', async () => {
    const first = await searchOrders(es, prefix, { size: 5 });
    const cursor = first.nextCursor!;
    const forged = Buffer.from(JSON.stringify({ s: '-createdAt', a: ['x', 1] })).toString('base64url');
    for (const bad of [`${cursor}A`, forged]) {
      await expect(searchOrders(es, prefix, { size: 5, cursor: bad })).rejects.toMatchObject({
        code: 'input.invalid',
        details: { errors: [expect.objectContaining({ path: 'cursor' })] },
      });
    }
    await expect(searchOrders(es, prefix, { sort: 'createdAt', cursor })).rejects.toMatchObject({
      code: 'input.invalid',
    });
  });
});
