import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../../errors';
import type { ReportQueries, TopSkusBy } from '../../projections/reporting';
import type { Freshness } from '../../projections/types';
import { calendarDay, responses } from '../schemas';

/**
 * `GET /reports/daily`, `/reports/customers/:id` and `/reports/top-skus`: the reporting read model. It lags
 * the event store by design, so every answer carries how fresh it is (read before the report, so an answer
 * never claims more than it shows). Amounts are integers in minor units, always per currency.
 */

/** What the report routes call; the lead wires `createReportQueries(pool)` and the projector's freshness. */
export interface ReportRouteOptions {
  reports: ReportQueries;
  /** How fresh the reporting read model is. */
  freshness: () => Promise<Freshness>;
}

/** Longest range of `GET /reports/daily`, in days (from and to included). */
export const MAX_REPORT_DAYS = 366;
export const TOP_SKUS_DEFAULT_LIMIT = 10;
export const TOP_SKUS_BY: readonly TopSkusBy[] = ['quantity', 'revenue'];

type DailyQuery = { from: string; to: string; currency?: string };
type CustomerParams = { id: string };
type TopSkusQuery = { limit?: string; currency?: string; by?: TopSkusBy };

const tags = ['reports'];

// Query parameters arrive as strings (the app does not coerce types), so numbers are matched by pattern.
const LIMIT_PATTERN = '^([1-9]|[1-9][0-9]|100)$';
const currency = {
  type: 'string',
  pattern: '^[A-Z]{3}$',
  description: 'Only this currency (ISO 4217 code, e.g. EUR); all when absent.',
} as const;
const day = calendarDay;

export const dailyQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: day('First day (YYYY-MM-DD, UTC), inclusive.'),
    to: day(`Last day (YYYY-MM-DD, UTC), inclusive; at most ${MAX_REPORT_DAYS} days from \`from\`.`),
    currency,
  },
} as const;

export const customerParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'Customer id.' } },
} as const;

export const topSkusQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: {
      type: 'string',
      pattern: LIMIT_PATTERN,
      description: `SKUs to list, 1 to 100; default ${TOP_SKUS_DEFAULT_LIMIT}.`,
    },
    currency,
    by: { type: 'string', enum: [...TOP_SKUS_BY], description: 'Rank by units sold (default) or revenue.' },
  },
} as const;

const nullable = (type: string, description: string) => ({ type: [type, 'null'], description }) as const;
const integer = (description: string) => ({ type: 'integer', description }) as const;
const string = (description: string) => ({ type: 'string', description }) as const;

export const freshnessSchema = {
  type: 'object',
  description: 'How far the reporting read model lags behind the event store.',
  required: ['lastEventAt', 'lastAppliedAt', 'lagMessages', 'lagMs'],
  properties: {
    lastEventAt: nullable('string', 'Business time of the newest event applied.'),
    lastAppliedAt: nullable('string', 'When the projector last applied a batch.'),
    lagMessages: nullable('integer', 'Events on Kafka not yet applied, as of the last batch.'),
    lagMs: nullable(
      'integer',
      "Milliseconds between the newest applied event's time and now; 0 when caught up.",
    ),
  },
} as const;

const object = (properties: Record<string, object>) =>
  ({ type: 'object', required: Object.keys(properties), properties }) as const;

export const dailyResponse = object({
  from: string('First day.'),
  to: string('Last day.'),
  currency: nullable('string', 'The currency asked for, or null for all.'),
  rows: {
    type: 'array',
    description: 'One row per day, currency and status with orders, by day, currency and status.',
    items: object({
      day: string('UTC day the orders were created on.'),
      status: { type: 'string', enum: ['pending', 'confirmed', 'cancelled'] },
      currency: string('ISO 4217 code.'),
      orders: integer('Orders created that day, now in this status.'),
      revenue: integer('Σ their totals, minor units of the currency.'),
    }),
  },
  freshness: freshnessSchema,
});

export const customerResponse = object({
  customerId: string('Customer id.'),
  name: string("As on the customer's latest order."),
  email: string("As on the customer's latest order."),
  totals: {
    type: 'array',
    description: 'Lifetime totals per currency the customer ordered in.',
    items: object({
      currency: string('ISO 4217 code.'),
      orders: integer('Orders in any status.'),
      pendingOrders: integer('Orders neither confirmed nor cancelled.'),
      confirmedOrders: integer('Confirmed orders.'),
      cancelledOrders: integer('Cancelled orders.'),
      lifetimeRevenue: integer('Σ totals of the confirmed orders, minor units of the currency.'),
      firstOrderAt: string('Creation time of the first order.'),
      lastOrderAt: string('Creation time of the latest order.'),
    }),
  },
  freshness: freshnessSchema,
});

export const topSkusResponse = object({
  by: { type: 'string', enum: [...TOP_SKUS_BY] },
  limit: integer('SKUs asked for.'),
  currency: nullable('string', 'The currency asked for, or null for all.'),
  skus: {
    type: 'array',
    description: 'Best sellers over confirmed orders; a SKU sold in several currencies has a row for each.',
    items: object({
      sku: string('Stock keeping unit.'),
      currency: string('ISO 4217 code.'),
      name: string('The product name on most of its orders.'),
      quantity: integer('Units sold.'),
      revenue: integer('Σ line totals, minor units of the currency.'),
      orders: integer('Confirmed orders with the SKU.'),
    }),
  },
  freshness: freshnessSchema,
});

const DAY_MS = 86_400_000;

/** What the schema cannot check of a daily query: from ≤ to, and at most MAX_REPORT_DAYS days. */
function checkRange({ from, to }: DailyQuery): void {
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  const message =
    days < 1
      ? `must not be before from (${from})`
      : days > MAX_REPORT_DAYS
        ? `must be at most ${MAX_REPORT_DAYS} days from from (${from}), both included`
        : undefined;
  if (message === undefined) return;
  throw new TributaryError('input.invalid', `The request is invalid: query.to ${message}.`, {
    details: { errors: [{ path: 'query.to', message }] },
  });
}

/** Registers the report routes. Parameters are checked before the read model is asked; bad ones get 400. */
export async function reportRoutes(app: FastifyInstance, options: ReportRouteOptions): Promise<void> {
  dailyReportRoute(app, options);
  customerReportRoute(app, options);
  topSkusRoute(app, options);
}

function dailyReportRoute(app: FastifyInstance, { reports, freshness }: ReportRouteOptions): void {
  app.get<{ Querystring: DailyQuery }>(
    '/reports/daily',
    {
      schema: {
        tags,
        operationId: 'getDailyReport',
        summary: 'Orders and revenue per UTC day of creation, by status and currency',
        querystring: dailyQuery,
        response: responses(200, dailyResponse, 'The days with orders, and the freshness of the read model.'),
      },
    },
    async (request) => {
      const { from, to, currency } = request.query;
      checkRange(request.query);
      const fresh = await freshness();
      const rows = await reports.daily({ from, to, currency });
      return { from, to, currency: currency ?? null, rows, freshness: fresh };
    },
  );
}

function customerReportRoute(app: FastifyInstance, { reports, freshness }: ReportRouteOptions): void {
  app.get<{ Params: CustomerParams }>(
    '/reports/customers/:id',
    {
      schema: {
        tags,
        operationId: 'getCustomerReport',
        summary: "A customer's lifetime orders and revenue, per currency",
        params: customerParams,
        response: responses(200, customerResponse, 'The totals, and the freshness of the read model.'),
      },
    },
    async (request) => {
      const { id } = request.params;
      const fresh = await freshness();
      const report = await reports.customer(id);
      if (report === null) {
        const upTo =
          fresh.lastEventAt === null ? 'no event applied yet' : `events up to ${fresh.lastEventAt} applied`;
        throw new TributaryError(
          'store.not_found',
          `The reports hold no order of customer ${id} (${upTo}).`,
          {
            details: { customerId: id },
          },
        );
      }
      return { ...report, freshness: fresh };
    },
  );
}

function topSkusRoute(app: FastifyInstance, { reports, freshness }: ReportRouteOptions): void {
  app.get<{ Querystring: TopSkusQuery }>(
    '/reports/top-skus',
    {
      schema: {
        tags,
        operationId: 'getTopSkus',
        summary: 'Best-selling SKUs over confirmed orders, by units or revenue, per currency',
        querystring: topSkusQuery,
        response: responses(200, topSkusResponse, 'The SKUs, and the freshness of the read model.'),
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? TOP_SKUS_DEFAULT_LIMIT : Number(request.query.limit);
      const by = request.query.by ?? 'quantity';
      const { currency } = request.query;
      const fresh = await freshness();
      const skus = await reports.topSkus({ limit, by, currency });
      return { by, limit, currency: currency ?? null, skus, freshness: fresh };
    },
  );
}
