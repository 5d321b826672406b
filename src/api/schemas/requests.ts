import { SALES_CHANNELS, type SalesChannel } from '../../domain/orders/events';
import { MAX_ORDER_LINES } from '../../domain/orders/validate';
import { PAYMENT_METHODS, type PaymentMethod } from '../../domain/payments/events';
import { IF_MATCH_FORMAT } from '../etag';

/**
 * JSON Schemas of every body, parameter, query and header. Fastify validates requests with them (Ajv,
 * no type coercion, unknown fields rejected) and @fastify/swagger publishes them in the OpenAPI document
 * at /docs. The schemas check shape; the domain deciders still check meaning (e.g. that a currency code
 * exists), so a request can pass here and fail with `domain.validation`.
 */

const SAFE_INTEGER_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Not blank, and storable: jsonb holds neither U+0000 nor an unpaired UTF-16 surrogate, so both are refused
 * here as bad input instead of failing in PostgreSQL (patterns run with the `u` flag).
 */
const STORABLE_PATTERN = '^[^\\u0000\\ud800-\\udfff]*$';
const text = (maxLength: number, description: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength,
    pattern: '\\S',
    allOf: [{ pattern: STORABLE_PATTERN }],
    description,
  }) as const;

// Same rules as the domain (src/domain/orders/validate.ts), so the API rejects what the domain would.
const EMAIL_PATTERN = '^[^\\s@]+@[^\\s@]+$';
const CURRENCY_PATTERN = '^[A-Z]{3}$';
const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$';
const VERSION_PATTERN = '^[1-9][0-9]{0,15}$';
const FROM_YEAR_ONE_PATTERN = '^(?!0000)';

/** Readable messages for pattern failures, by pattern (Ajv would only say "must match pattern ..."). */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  '\\S': 'must not be blank',
  [STORABLE_PATTERN]: 'must not contain NUL characters or unpaired UTF-16 surrogates',
  [EMAIL_PATTERN]: 'must be an email address',
  [CURRENCY_PATTERN]: 'must be an upper-case ISO 4217 currency code, e.g. EUR',
  [ID_PATTERN]: 'must be 1-100 letters, digits, ".", "_", "~" or "-", starting with a letter or digit',
  [VERSION_PATTERN]: 'must be a stream version: a positive integer',
  '^(0|[1-9][0-9]{0,15})$': 'must be an amount in minor units: a non-negative integer',
  '^([1-9]|[1-9][0-9]|100)$': 'must be an integer from 1 to 100',
  [FROM_YEAR_ONE_PATTERN]: 'must be a date from the year 0001 on (there is no year 0000)',
};

/**
 * Dates and times as RFC 3339 strings. RFC 3339 allows the year 0000, which PostgreSQL cannot store (there is
 * no year 0 in its calendar), so it is refused here as bad input instead of failing in the database.
 */
export function timestamp(description: string) {
  return {
    type: 'string',
    format: 'date-time',
    allOf: [{ pattern: FROM_YEAR_ONE_PATTERN }],
    description,
  } as const;
}
export function calendarDay(description: string) {
  return {
    type: 'string',
    format: 'date',
    allOf: [{ pattern: FROM_YEAR_ONE_PATTERN }],
    description,
  } as const;
}

const id = (description: string) => ({ type: 'string', pattern: ID_PATTERN, description }) as const;
const currency = {
  type: 'string',
  pattern: CURRENCY_PATTERN,
  description: 'ISO 4217 code, e.g. EUR',
} as const;
const minorUnits = (minimum: number, description: string) =>
  ({ type: 'integer', minimum, maximum: SAFE_INTEGER_MAX, description }) as const;

const lineInput = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'name', 'quantity', 'unitPrice'],
  properties: {
    sku: text(100, 'Stock keeping unit; one line per SKU.'),
    name: text(200, 'Product name as shown to the customer.'),
    quantity: { type: 'integer', minimum: 1, maximum: SAFE_INTEGER_MAX },
    unitPrice: minorUnits(0, 'Price of one unit in minor units of the order currency (cents).'),
  },
} as const;

// ---- request bodies ------------------------------------------------------------------------------

export type OrderLineBody = { sku: string; name: string; quantity: number; unitPrice: number };
export type CreateOrderBody = {
  id?: string;
  customer: { id: string; name: string; email: string };
  lines: OrderLineBody[];
  currency: string;
  salesChannel?: SalesChannel;
};
export type CancelOrderBody = { reason: string };
export type RecordPaymentBody = { id?: string; amount: number; currency: string; method: PaymentMethod };
export type RefundPaymentBody = { amount: number; currency: string; reason: string };

export const createOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customer', 'lines', 'currency'],
  properties: {
    id: id('Order id; generated when absent (from the Idempotency-Key, if one is sent).'),
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'email'],
      properties: {
        id: text(100, 'Customer id.'),
        name: text(200, 'Customer name.'),
        email: { type: 'string', maxLength: 254, pattern: EMAIL_PATTERN },
      },
    },
    lines: { type: 'array', minItems: 1, maxItems: MAX_ORDER_LINES, items: lineInput },
    currency,
    salesChannel: { type: 'string', enum: [...SALES_CHANNELS], description: 'Defaults to web.' },
  },
} as const;

export const addLineBody = lineInput;

export const cancelOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: text(500, 'Why the order is cancelled.') },
} as const;

/** Commands with nothing to say (confirm, remove a line): the body may be absent, or an empty JSON object. */
export const emptyBody = {
  content: {
    'application/json': { schema: { type: 'object', additionalProperties: false, properties: {} } },
  },
} as const;

export const recordPaymentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency', 'method'],
  properties: {
    id: id('Payment id; generated when absent (from the Idempotency-Key, if one is sent).'),
    amount: minorUnits(1, 'Captured amount in minor units.'),
    currency,
    method: { type: 'string', enum: [...PAYMENT_METHODS] },
  },
} as const;

export const refundPaymentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency', 'reason'],
  properties: {
    amount: minorUnits(1, 'Refunded amount in minor units; at most what is still refundable.'),
    currency,
    reason: text(500, 'Why the money is given back.'),
  },
} as const;

export type ReceiveStockBody = { quantity: number };
export type AdjustStockBody = { delta: number; reason: string };

export const receiveStockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['quantity'],
  properties: {
    quantity: { type: 'integer', minimum: 1, maximum: SAFE_INTEGER_MAX, description: 'Units that arrived.' },
  },
} as const;

export const adjustStockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['delta', 'reason'],
  properties: {
    delta: {
      type: 'integer',
      minimum: -SAFE_INTEGER_MAX,
      maximum: SAFE_INTEGER_MAX,
      not: { const: 0 },
      description:
        'Units more (positive) or fewer (negative) on hand than recorded; never below what is reserved.',
    },
    reason: text(500, 'Why: a count, damage, loss.'),
  },
} as const;

// ---- parameters, query, headers ------------------------------------------------------------------

const pathText = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  allOf: [{ pattern: STORABLE_PATTERN }],
} as const;

export const orderParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: pathText },
} as const;

export const orderLineParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'sku'],
  properties: { id: pathText, sku: pathText },
} as const;

export const paymentParams = orderParams;

export const skuParams = {
  type: 'object',
  additionalProperties: false,
  required: ['sku'],
  properties: { sku: { ...pathText, maxLength: 100 } },
} as const;

export type OrderQuery = { asOf?: string; version?: string };

export const orderQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    asOf: timestamp('The order as it was at this business time (RFC 3339 with a time zone).'),
    version: {
      type: 'string',
      pattern: VERSION_PATTERN,
      description: 'The order as it was at this version.',
    },
  },
} as const;

/** Paging of an order's history. */
export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: {
      type: 'string',
      pattern: VERSION_PATTERN,
      description: 'Only events after this version (the `next` link of the previous page names it).',
    },
    limit: {
      type: 'string',
      pattern: '^([1-9]|[1-9][0-9]|100)$',
      description: 'Events per page, 1 to 100 (default 100).',
    },
  },
} as const;

export type HistoryQuery = { after?: string; limit?: string };

/** Headers every command accepts (they are documented; their values are checked in request-context.ts). */
export const commandHeaders = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      description: `Run the command only if the resource is at this version: ${IF_MATCH_FORMAT}. Not on creation.`,
    },
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'A retried request with the same key returns the first result and changes nothing twice.',
    },
    'x-correlation-id': { type: 'string', description: 'Echoed back; generated when absent or unusable.' },
    traceparent: { type: 'string', description: 'W3C trace context; ignored when malformed.' },
  },
} as const;

/** Marks a route whose body may be omitted, for the OpenAPI document (see docs.ts). */
export const OPTIONAL_BODY = 'x-body-optional';
