import type { FastifyInstance, FastifyRequest } from 'fastify';
import { customerScopeOf, principalOf } from '../../auth';
import { TributaryError } from '../../errors';
import {
  checkSearchParams,
  decodeCursor,
  isParamError,
  ORDER_STATUSES,
  SEARCH_LIMITS,
  SEARCH_SORTS,
  sortOf,
  type ParamError,
  type SearchParams,
  type SearchResult,
  type SearchSort,
} from '../../projections/search';
import type { Freshness } from '../../projections/types';
import type { OrderStatus } from '../../domain/orders/state';
import { orderRef, responses, timestamp } from '../schemas';

/**
 * `GET /search/orders`: full text, filters, sort, cursor paging and facets over the search read model. The
 * read model lags the event store by design, so every response says how fresh it is.
 */

/** What the search route calls; the lead wires `searchOrders` and the projector's freshness in. */
export interface SearchRouteOptions {
  search: (params: SearchParams) => Promise<SearchResult>;
  /** How fresh the search read model is; read before searching, so a response never claims too much. */
  freshness: () => Promise<Freshness>;
}

type SearchQuery = {
  q?: string;
  status?: string[];
  customerId?: string;
  currency?: string;
  minAmount?: string;
  maxAmount?: string;
  createdFrom?: string;
  createdTo?: string;
  sku?: string;
  sort?: SearchSort;
  size?: string;
  cursor?: string;
};

const tags = ['search'];

// Query parameters arrive as strings (the app does not coerce types), so numbers are matched by pattern.
const AMOUNT_PATTERN = '^(0|[1-9][0-9]{0,15})$';
const SIZE_PATTERN = '^([1-9]|[1-9][0-9]|100)$';
const text = (description: string) =>
  ({ type: 'string', minLength: 1, maxLength: 100, description }) as const;

export const searchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: {
      type: 'string',
      minLength: 1,
      maxLength: SEARCH_LIMITS.maxQueryLength,
      pattern: '\\S',
      description:
        'Words to find (all of them) in the order id, customer id, name and email, line SKUs and names, and ' +
        'the cancellation reason. Plain text: no operators or wildcards.',
    },
    status: {
      type: 'array',
      maxItems: ORDER_STATUSES.length,
      items: { type: 'string', enum: [...ORDER_STATUSES] },
      description:
        'Any of these statuses: repeat the parameter (status=pending&status=confirmed) or separate by commas.',
    },
    customerId: text('Orders of this customer id (exact).'),
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' },
    minAmount: {
      type: 'string',
      pattern: AMOUNT_PATTERN,
      description: 'Smallest total in minor units, inclusive.',
    },
    maxAmount: {
      type: 'string',
      pattern: AMOUNT_PATTERN,
      description: 'Largest total in minor units, inclusive.',
    },
    createdFrom: timestamp('Created at or after this time (RFC 3339 with a time zone), inclusive.'),
    createdTo: timestamp('Created before this time (RFC 3339 with a time zone), exclusive.'),
    sku: text('Orders with a line of this SKU (exact).'),
    sort: {
      type: 'string',
      enum: [...SEARCH_SORTS],
      description:
        'A field, descending with a leading "-"; ties broken by order id. Default: relevance with q, else -createdAt.',
    },
    size: { type: 'string', pattern: SIZE_PATTERN, description: 'Orders per page, 1 to 100; default 20.' },
    cursor: {
      type: 'string',
      maxLength: SEARCH_LIMITS.maxCursorLength,
      description: 'nextCursor of the previous page; keep the other parameters (and the sort) the same.',
    },
  },
} as const;

const nullable = (type: string, description: string) => ({ type: [type, 'null'], description }) as const;
const counts = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export const searchResponse = {
  type: 'object',
  required: ['total', 'orders', 'facets', 'nextCursor', 'freshness'],
  properties: {
    total: { type: 'integer', description: 'Orders matching every filter.' },
    orders: { type: 'array', items: orderRef },
    facets: {
      type: 'object',
      description: "Matching orders per value; a field's counts ignore that field's own filter.",
      required: ['status', 'currency'],
      properties: { status: counts, currency: counts },
    },
    nextCursor: nullable('string', 'Pass as cursor for the next page; null on the last page.'),
    freshness: {
      type: 'object',
      description: 'How far the search read model lags behind the event store.',
      required: ['lastEventAt', 'lastAppliedAt', 'lagMessages', 'lagMs'],
      properties: {
        lastEventAt: nullable('string', 'Business time of the newest event applied.'),
        lastAppliedAt: nullable('string', 'When the projector last applied a batch.'),
        lagMessages: nullable('integer', 'Events on Kafka not yet applied, as of the last batch.'),
        lagMs: nullable('integer', "Milliseconds between the newest applied event's time and now."),
      },
    },
  },
} as const;

/** `status=a,b` and `status=a&status=b` (and a mix) as one list, before the schema checks it. */
async function statusAsList(request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>;
  const status = query.status;
  if (typeof status === 'string' || Array.isArray(status)) {
    query.status = ([] as unknown[])
      .concat(status)
      .flatMap((value) => (typeof value === 'string' ? value.split(',') : [value]));
  }
}

/** The search the (schema-checked) query asks for. */
export function toSearchParams(query: SearchQuery): SearchParams {
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    q: query.q,
    status: query.status as OrderStatus[] | undefined,
    customerId: query.customerId,
    currency: query.currency,
    minAmount: number(query.minAmount),
    maxAmount: number(query.maxAmount),
    createdFrom: query.createdFrom,
    createdTo: query.createdTo,
    sku: query.sku,
    sort: query.sort,
    size: number(query.size),
    cursor: query.cursor,
  };
}

/** What the schema cannot check: min ≤ max, from ≤ to, real calendar dates, a cursor this API made. */
function checkMeaning(params: SearchParams): void {
  const errors: ParamError[] = checkSearchParams(params);
  if (errors.length === 0 && params.cursor !== undefined) {
    const decoded = decodeCursor(params.cursor, sortOf(params));
    if (isParamError(decoded)) errors.push(decoded);
  }
  if (errors.length === 0) return;
  const fields = errors.map(({ path, message }) => ({ path: `query.${path}`, message }));
  const listed = fields.map(({ path, message }) => `${path} ${message}`).join('; ');
  throw new TributaryError('input.invalid', `The request is invalid: ${listed}.`, {
    details: { errors: fields },
  });
}

/**
 * Registers `GET /search/orders`. Parameters are checked in two steps, both answered with 400 problem+json
 * listing every bad parameter: their form by the JSON schema, their meaning by `checkMeaning`; only then is
 * the read model asked.
 */
export async function searchRoutes(app: FastifyInstance, options: SearchRouteOptions): Promise<void> {
  app.get<{ Querystring: SearchQuery }>(
    '/search/orders',
    {
      schema: {
        tags,
        operationId: 'searchOrders',
        summary:
          'Search orders: full text, filters, sort, cursor paging and facet counts by status and currency',
        querystring: searchQuery,
        response: responses(
          200,
          searchResponse,
          'A page of orders, with facets and the freshness of the read model.',
        ),
      },
      preValidation: statusAsList,
    },
    async (request) => {
      // A customer's search is filtered to its own orders in the query itself, facets and total included.
      const params = {
        ...toSearchParams(request.query),
        customerScope: customerScopeOf(principalOf(request)),
      };
      checkMeaning(params);
      const freshness = await options.freshness();
      const result = await options.search(params);
      return { ...result, freshness };
    },
  );
}
