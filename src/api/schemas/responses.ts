/**
 * Response schemas. The models are shared schemas (`app.addSchema`), so the OpenAPI document names them
 * as components (Order, Payment, OrderHistory, Problem); Fastify also serializes responses with them.
 */

const nullableString = { type: ['string', 'null'] } as const;

export const sharedSchemas = [
  {
    $id: 'Problem',
    type: 'object',
    description:
      'RFC 9457 problem details. `type` is /problems/<error code>, or about:blank for plain HTTP errors.',
    required: ['type', 'title', 'status', 'detail', 'instance'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  },
  {
    $id: 'Order',
    type: 'object',
    required: ['id', 'status', 'customer', 'lines', 'totalAmount', 'currency', 'version'],
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['pending', 'confirmed', 'cancelled'] },
      customer: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
      },
      lines: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            sku: { type: 'string' },
            name: { type: 'string' },
            quantity: { type: 'integer' },
            unitPrice: { type: 'integer' },
            lineTotal: { type: 'integer' },
          },
        },
      },
      totalAmount: { type: 'integer', description: 'Minor units of currency.' },
      currency: { type: 'string' },
      salesChannel: { type: 'string' },
      createdAt: { type: 'string' },
      updatedAt: { type: 'string' },
      confirmedAt: nullableString,
      cancelledAt: nullableString,
      cancellationReason: nullableString,
      version: { type: 'integer', description: 'Stream version; also the ETag.' },
    },
  },
  {
    $id: 'Payment',
    type: 'object',
    required: ['id', 'orderId', 'amount', 'refundedAmount', 'currency', 'method', 'status', 'version'],
    properties: {
      id: { type: 'string' },
      orderId: { type: 'string' },
      amount: { type: 'integer' },
      refundedAmount: { type: 'integer' },
      currency: { type: 'string' },
      method: { type: 'string' },
      status: { type: 'string' },
      version: { type: 'integer' },
    },
  },
  {
    $id: 'OrderHistory',
    type: 'object',
    required: ['orderId', 'events'],
    properties: {
      orderId: { type: 'string' },
      next: {
        type: 'string',
        description: 'The path of the next page; absent on the last page (which also carries the ETag).',
      },
      events: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            position: { type: 'string', description: 'Global position in the event store.' },
            streamId: { type: 'string' },
            version: { type: 'integer' },
            eventId: { type: 'string' },
            type: { type: 'string' },
            schemaVersion: { type: 'integer' },
            data: {},
            metadata: {
              type: 'object',
              properties: {
                correlationId: { type: 'string' },
                causationId: { type: 'string' },
                actor: { type: 'string' },
                traceparent: { type: 'string' },
              },
            },
            occurredAt: { type: 'string', description: 'Business time.' },
            recordedAt: { type: 'string', description: 'System time.' },
          },
        },
      },
    },
  },
  {
    $id: 'Stock',
    type: 'object',
    description: 'The stock of one SKU: units on hand, reserved for orders, and available to reserve.',
    required: ['sku', 'onHand', 'reserved', 'available', 'openReservations', 'updatedAt', 'version'],
    properties: {
      sku: { type: 'string' },
      onHand: { type: 'integer' },
      reserved: { type: 'integer' },
      available: { type: 'integer', description: 'On hand minus reserved; never below zero.' },
      openReservations: { type: 'integer', description: 'Orders holding units of this SKU.' },
      updatedAt: nullableString,
      version: { type: 'integer' },
    },
  },
] as const;

const problem = {
  description: 'Problem details (RFC 9457).',
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
} as const;

/** The responses of a route: its success, plus problem+json for every error. */
export function responses(status: number, schema: object, description: string) {
  return { [status]: { description, ...schema }, '4xx': problem, '5xx': problem };
}

export const orderRef = { $ref: 'Order#' } as const;
export const paymentRef = { $ref: 'Payment#' } as const;
export const historyRef = { $ref: 'OrderHistory#' } as const;
export const stockRef = { $ref: 'Stock#' } as const;
