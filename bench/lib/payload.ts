/**
 * The event both sides of the append comparison write: an order-line-sized JSON document. The pgbench
 * scripts in bench/pgbench/ carry the same literal (append.ts checks that they do), and the outbox payload
 * is `{"change": <event data>}` with an `occurredAt` header, as the default 1:1 outbox mapping writes.
 */
export const BENCH_EVENT_DATA = {
  orderId: 'bench-order',
  line: { sku: 'SKU-000042', name: 'Blue widget, large', quantity: 2, unitPrice: 1250 },
  addedAt: '2026-11-23T12:00:00.000Z',
};

export const BENCH_EVENT_TYPE = 'BenchEvent';
export const BENCH_STREAM_TYPE = 'bench';
