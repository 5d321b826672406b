import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../errors';
import { encodeCursor, type SearchParams, type SearchResult } from '../../projections/search';
import type { Freshness } from '../../projections/types';
import { buildApp } from '../app';
import { startServer } from '../server';
import { ApiClient, errorPaths, expectProblem, FakeOrderService } from '../../../test/api';
import { searchRoutes } from './search';
import { TestIssuer } from '../../../test/fixtures/auth';

/** The HTTP face of the search read model, with a fake search behind it. */

const FRESHNESS: Freshness = {
  lastEventAt: '2026-11-23T10:00:00.000Z',
  lastAppliedAt: '2026-11-23T10:00:00.250Z',
  lagMessages: 3,
  lagMs: 420,
};

const ORDER = {
  id: 'order-1',
  status: 'pending',
  customer: { id: 'c-1', name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ sku: 'sku-a', name: 'Widget', quantity: 2, unitPrice: 1250, lineTotal: 2500 }],
  totalAmount: 2500,
  currency: 'EUR',
  salesChannel: 'web',
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  confirmedAt: null,
  cancelledAt: null,
  cancellationReason: null,
  version: 1,
} as const;

const RESULT: SearchResult = {
  total: 1,
  orders: [ORDER],
  facets: { status: { pending: 1, confirmed: 0, cancelled: 0 }, currency: { EUR: 1 } },
  nextCursor: encodeCursor('-createdAt', [1, 'order-1']),
};

let app: FastifyInstance;
let baseUrl: string;
const issuer = new TestIssuer();
const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));
const searched: SearchParams[] = [];
let answer: () => Promise<SearchResult> = async () => RESULT;

beforeAll(async () => {
  app = buildApp({
    authenticator: issuer.authenticator(),
    service: new FakeOrderService(),
    swaggerUi: false,
  });
  void app.register(searchRoutes, {
    search: async (params) => {
      searched.push(params);
      return answer();
    },
    freshness: async () => FRESHNESS,
  });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  searched.length = 0;
  answer = async () => RESULT;
});

describe('GET /search/orders', () => {
  it('answers a page of orders with facets, the next cursor and the freshness of the read model', async () => {
    const response = await client.get('/search/orders');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...RESULT, freshness: FRESHNESS });
    expect(searched).toEqual([expect.objectContaining({ q: undefined, size: undefined, status: undefined })]);
  });

  it('turns the query string into typed search parameters; status may repeat or list with commas', async () => {
    const cursor = encodeCursor('totalAmount', [2500, 'order-1']);
    const query = new URLSearchParams([
      ['q', 'ada <script>'],
      ['status', 'pending,confirmed'],
      ['status', 'cancelled'],
      ['customerId', 'c-1'],
      ['currency', 'EUR'],
      ['minAmount', '0'],
      ['maxAmount', '9000'],
      ['createdFrom', '2026-11-01T00:00:00Z'],
      ['createdTo', '2026-12-01T00:00:00+01:00'],
      ['sku', 'sku-a'],
      ['sort', 'totalAmount'],
      ['size', '100'],
      ['cursor', cursor],
    ]);
    const response = await client.get(`/search/orders?${query}`);
    expect(response.statusCode).toBe(200);
    expect(searched).toEqual([
      {
        q: 'ada <script>',
        status: ['pending', 'confirmed', 'cancelled'],
        customerId: 'c-1',
        currency: 'EUR',
        minAmount: 0,
        maxAmount: 9000,
        createdFrom: '2026-11-01T00:00:00Z',
        createdTo: '2026-12-01T00:00:00+01:00',
        sku: 'sku-a',
        sort: 'totalAmount',
        size: 100,
        cursor,
      },
    ]);
  });

  const invalid: [string, string, string][] = [
    ['an unknown parameter', 'colour=red', 'query.colour'],
    ['size 0', 'size=0', 'query.size'],
    ['size 101', 'size=101', 'query.size'],
    ['size not a number', 'size=abc', 'query.size'],
    ['a negative amount', 'minAmount=-1', 'query.minAmount'],
    ['an amount beyond the safe integers', 'maxAmount=9999999999999999', 'query.maxAmount'],
    ['minAmount above maxAmount', 'minAmount=500&maxAmount=100', 'query.minAmount'],
    ['a date that is not RFC 3339', 'createdFrom=yesterday', 'query.createdFrom'],
    ['a date that does not exist', 'createdTo=2026-02-31T00:00:00Z', 'query.createdTo'],
    [
      'createdFrom after createdTo',
      'createdFrom=2026-12-01T00:00:00Z&createdTo=2026-11-01T00:00:00Z',
      'query.createdFrom',
    ],
    ['an unknown sort', 'sort=price', 'query.sort'],
    ['relevance without q', 'sort=relevance', 'query.sort'],
    ['an unknown status', 'status=shipped', 'query.status[0]'],
    ['an unknown status in a list', 'status=pending,shipped', 'query.status[1]'],
    ['a lower-case currency', 'currency=eur', 'query.currency'],
    ['a blank q', 'q=%20%20', 'query.q'],
    ['a tampered cursor', `cursor=${encodeCursor('-createdAt', [1, 'order-1'])}x`, 'query.cursor'],
    [
      'a cursor of another sort',
      `sort=createdAt&cursor=${encodeCursor('-createdAt', [1, 'o'])}`,
      'query.cursor',
    ],
    ['a cursor that is not base64url', 'cursor=%7B%22a%22%3A1%7D', 'query.cursor'],
  ];

  it.each(invalid)(
    '%s is a 400 problem naming the parameter, and nothing is searched',
    async (_name, query, path) => {
      const response = await client.get(`/search/orders?${query}`);
      const problem = expectProblem(response, 400, '/problems/input.invalid');
      expect(errorPaths(problem)).toContain(path);
      expect(searched).toEqual([]);
    },
  );

  it('every invalid parameter is reported at once', async () => {
    const response = await client.get('/search/orders?size=0&sort=price&currency=x');
    const problem = expectProblem(response, 400, '/problems/input.invalid');
    expect(errorPaths(problem).sort()).toEqual(['query.currency', 'query.size', 'query.sort']);
  });

  it('an unavailable read model is a 503 problem that reveals nothing internal', async () => {
    answer = async () => {
      throw new TributaryError('infra.unavailable', 'connect ECONNREFUSED 10.1.2.3:9200', {
        retriable: true,
      });
    };
    const response = await client.get('/search/orders');
    const problem = expectProblem(response, 503, '/problems/infra.unavailable');
    expect(JSON.stringify(problem)).not.toContain('10.1.2.3');
  });

  it('the OpenAPI document describes the route under the search tag', async () => {
    const response = await client.get('/docs/json');
    const document = response.json<{
      paths: Record<string, { get?: { tags?: string[]; parameters?: { name: string }[] } }>;
    }>();
    const operation = document.paths['/search/orders']?.get;
    expect(operation?.tags).toEqual(['search']);
    expect(operation?.parameters?.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['q', 'status', 'sort', 'size', 'cursor', 'minAmount', 'createdFrom']),
    );
  });
});
