import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app';
import { startServer } from '../src/api/server';
import { ApiClient, errorPaths, expectProblem, newOrderBody } from './api';
import type { ApiResponse } from './api/client';
import { deadLettersCommand } from '../src/cli/project';
import { createOrderService } from '../src/commands';
import type { Config } from '../src/config';
import { pgExecutor } from '../src/db/executor';
import type { OrderView } from '../src/domain/orders/view';
import { DLQ_HEADERS, listDeadLetters } from '../src/projections/runtime';
import { dlqTopic, orderTopic } from '../src/contracts';
import type { VerifyReport } from '../src/verify';
import { readModelsFor } from '../src/cli/serve';
import { startPipeline, type InProcessPipeline } from './fixtures/pipeline';
import { seededRandom } from './fixtures/random';
import { eventually, TopicReader } from './fixtures/relay';
import { openStoreFixture, type StoreFixture } from './fixtures/store';
import { orderWorkload } from './fixtures/workload';
import { TestIssuer } from './fixtures/auth';

/**
 * Bad input at every edge of the running pipeline (HTTP API → store → relay → Kafka → both projectors) gets a
 * clear answer — a problem+json error over HTTP, a dead letter with a reason for a message on a topic — and
 * affects nothing else: the store, the other orders' documents and the report rows stay as the good input made
 * them. Hostile-looking text is data: stored as given and found by search as plain words.
 *
 * The shapes the API rejects are stated once for every endpoint in test/api/contract-invalid.ts; this
 * file adds what needs the whole pipeline.
 */

let fx: StoreFixture;
let config: Config;
let pipeline: InProcessPipeline;
let app: FastifyInstance;
let baseUrl: string;
const issuer = new TestIssuer();
const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 8 });
  pipeline = await startPipeline(fx, 'bad');
  config = pipeline.config;
  const service = createOrderService(config, fx.store);
  // As `serve` wires it (no Swagger UI: its static files plugin is ESM-only, which Jest cannot load).
  app = buildApp({
    authenticator: issuer.authenticator(),
    service,
    swaggerUi: false,
    bodyLimitBytes: config.httpBodyLimitBytes,
    readModels: readModelsFor(config, fx.pool, fx.env.elasticsearch()),
  });
  baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
  // Good orders first, so there is something that bad input must not disturb.
  const workload = orderWorkload(service, seededRandom(66));
  for (let i = 0; i < 150; i++) await workload.step();
});

afterAll(async () => {
  await app?.close();
  await pipeline?.stop();
  await fx.close();
});

const verify = (): Promise<VerifyReport> => pipeline.verify();

/** What the write side holds; bad requests must leave every number as it was. */
async function storeSnapshot(): Promise<Record<string, number>> {
  const { rows } = await fx.pool.query<Record<string, number>>(
    `select (select count(*) from events)::int as events, (select count(*) from outbox)::int as outbox,
            (select count(*) from streams)::int as streams, (select count(*) from idempotency_keys)::int as keys`,
  );
  return rows[0]!;
}

describe('HTTP: a bad request gets a readable problem and changes nothing', () => {
  let order: OrderView;
  let paymentId: string;
  let before: Record<string, number>;
  const json = { 'content-type': 'application/json' };
  const line = { sku: 'TEA-1', name: 'Earl Grey', quantity: 1, unitPrice: 450 };

  beforeAll(async () => {
    order = await client.createOrder();
    const payment = await client.post(`/orders/${order.id}/payments`, {
      amount: 100,
      currency: 'EUR',
      method: 'card',
    });
    expect(payment.statusCode).toBe(201);
    paymentId = payment.json<{ id: string }>().id;
    before = await storeSnapshot();
  });

  type Case = {
    send: () => Promise<ApiResponse>;
    status: number;
    type: string;
    /** The field paths the problem must list (400), in any order. */
    paths?: string[];
    detail: RegExp;
  };
  const invalid = '/problems/input.invalid';
  const cases: Record<string, Case> = {
    'malformed JSON adding a line': {
      send: () => client.post(`/orders/${order.id}/lines`, '{"sku": "TEA-1", "name": ', json),
      status: 400,
      type: invalid,
      paths: ['body'],
      detail: /not valid JSON/,
    },
    'JavaScript object syntax instead of JSON recording a payment': {
      send: () => client.post(`/orders/${order.id}/payments`, "{amount: 100, currency: 'EUR'}", json),
      status: 400,
      type: invalid,
      paths: ['body'],
      detail: /not valid JSON/,
    },
    'a prototype-poisoning __proto__ key': {
      send: () =>
        client.post('/orders', JSON.stringify({ ...newOrderBody(), ['__proto__']: { admin: true } }), json),
      status: 400,
      type: invalid,
      detail: /not valid JSON/,
    },
    'a string where an amount belongs': {
      send: () =>
        client.post(`/orders/${order.id}/payments`, { amount: '100', currency: 'EUR', method: 'card' }),
      status: 400,
      type: invalid,
      paths: ['body.amount'],
      detail: /body\.amount must be integer/,
    },
    'a fraction for a quantity and a price beyond 2^53': {
      send: () => client.post(`/orders/${order.id}/lines`, { ...line, quantity: 1.5, unitPrice: 1e20 }),
      status: 400,
      type: invalid,
      paths: ['body.quantity', 'body.unitPrice'],
      detail: /body\.quantity must be integer.*body\.unitPrice must be <=/,
    },
    'an object where the list of lines belongs': {
      send: () => client.post('/orders', newOrderBody({ lines: line })),
      status: 400,
      type: invalid,
      paths: ['body.lines'],
      detail: /body\.lines must be array/,
    },
    'null for a cancellation reason': {
      send: () => client.post(`/orders/${order.id}/cancel`, { reason: null }),
      status: 400,
      type: invalid,
      paths: ['body.reason'],
      detail: /body\.reason must be string/,
    },
    'an unknown field on a cancellation': {
      send: () => client.post(`/orders/${order.id}/cancel`, { reason: 'changed my mind', refundAll: true }),
      status: 400,
      type: invalid,
      paths: ['body.refundAll'],
      detail: /body\.refundAll is not a known field/,
    },
    'an unknown field on a refund': {
      send: () =>
        client.post(`/payments/${paymentId}/refunds`, {
          amount: 1,
          currency: 'EUR',
          reason: 'x',
          force: true,
        }),
      status: 400,
      type: invalid,
      paths: ['body.force'],
      detail: /body\.force is not a known field/,
    },
    'more lines than an order may have': {
      send: () =>
        client.post(
          '/orders',
          newOrderBody({ lines: Array.from({ length: 201 }, (_, i) => ({ ...line, sku: `SKU-${i}` })) }),
        ),
      status: 400,
      type: invalid,
      paths: ['body.lines'],
      detail: /body\.lines must NOT have more than 200 items/,
    },
    'a cancellation body over the size limit': {
      send: () =>
        client.post(`/orders/${order.id}/cancel`, { reason: 'x'.repeat(config.httpBodyLimitBytes) }),
      status: 413,
      type: 'about:blank',
      detail: /larger than the limit of \d+ bytes/,
    },
    'a form-encoded payment': {
      send: () =>
        client.post(`/orders/${order.id}/payments`, 'amount=100&currency=EUR', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      status: 415,
      type: 'about:blank',
      detail: /Unsupported Media Type/,
    },
    'an XML order': {
      send: () =>
        client.post('/orders', '<order><currency>EUR</currency></order>', {
          'content-type': 'application/xml',
        }),
      status: 415,
      type: 'about:blank',
      detail: /Unsupported Media Type/,
    },
  };

  it.each(Object.entries(cases))('%s', async (_name, { send, status, type, paths, detail }) => {
    const problem = expectProblem(await send(), status, type);
    expect(problem.detail).toMatch(detail);
    if (paths) expect(errorPaths(problem).sort()).toEqual([...paths].sort());
  });

  // Known bug, kept visible: PostgreSQL cannot store U+0000 (nor a lone UTF-16 surrogate) in jsonb, and the
  // API lets both through to the store, which fails with a 500. Remove `.failing` once the API rejects them.
  it('a NUL character in a name is a 400, not a 500 (jsonb cannot hold U+0000)', async () => {
    const body = newOrderBody({
      customer: { id: 'c-nul', name: 'Ada\u0000Lovelace', email: 'ada@example.com' },
    });
    expectProblem(await client.post('/orders', body), 400, invalid);
  });

  it('a lone UTF-16 surrogate in a line name is a 400, not a 500', async () => {
    expectProblem(
      await client.post(`/orders/${order.id}/lines`, { ...line, name: 'tea \ud800' }),
      400,
      invalid,
    );
  });

  // Known bug, kept visible: ids up to 200 characters are valid by the schema, but Fastify's router stops at
  // 100 (maxParamLength) and answers 414 in plain JSON, outside problem+json. Remove `.failing` once fixed.
  it('an order id over 100 characters gets problem+json: 404 up to 200 characters, 400 beyond', async () => {
    expectProblem(await client.get(`/orders/${'x'.repeat(150)}`), 404, '/problems/store.not_found');
    const problem = expectProblem(await client.get(`/orders/${'x'.repeat(201)}`), 400, invalid);
    expect(errorPaths(problem)).toEqual(['params.id']);
  });

  it('after all of them the store holds exactly what it held before, and the order is unchanged', async () => {
    expect(await storeSnapshot()).toEqual(before);
    const now = await client.get(`/orders/${order.id}`);
    expect(now.json<OrderView>()).toEqual(order);
  });
});

describe('text that looks like code or query syntax is stored and searched as plain data', () => {
  const TEXTS = [
    '<script>alert(1)</script>',
    "'; drop table events; --",
    '{"$where": 1}',
    'Zoë 👩‍💻 مرحبا 日本語',
    '*',
    '\\',
    'a AND (b OR c) NOT "d" ~2 ^3',
    '${jndi:ldap://example.com/a}',
  ];
  const created = new Map<string, OrderView>();

  beforeAll(async () => {
    for (const [i, text] of TEXTS.entries()) {
      const order = await client.createOrder({
        customer: { id: text, name: text, email: `plain${i}@example.com` },
        lines: [{ sku: `PLAIN-${i}`, name: text, quantity: 1, unitPrice: 100 + i }],
      });
      created.set(text, order);
    }
  });

  it('each is stored and answered exactly as given', async () => {
    for (const [text, order] of created) {
      const read = (await client.get(`/orders/${order.id}`)).json<OrderView>();
      expect([read.customer.id, read.customer.name, read.lines[0]!.name]).toEqual([text, text, text]);
      const { rows } = await fx.pool.query<{ name: string }>(
        `select data->'customer'->>'name' as name from events where event_type = 'OrderCreated' and data->>'orderId' = $1`,
        [order.id],
      );
      expect(rows).toEqual([{ name: text }]);
    }
    const { rows } = await fx.pool.query<{ n: number }>(`select count(*)::int as n from events`);
    expect(rows[0]!.n).toBeGreaterThan(100);
  });

  it('search finds each as plain words: its own order, and nothing that only matches an operator', async () => {
    for (const [text, order] of created) {
      const url = `/search/orders?q=${encodeURIComponent(text)}&size=100`;
      const found = await eventually(
        `search to find ${JSON.stringify(text)}`,
        async () => {
          const response = await client.get(url);
          expect(response.statusCode).toBe(200);
          const body = response.json<{ orders: OrderView[] }>();
          return body.orders.some((o) => o.id === order.id) && body.orders;
        },
        30_000,
        250,
      );
      for (const hit of found) {
        expect([hit.customer.id, hit.customer.name, ...hit.lines.map((l) => l.name)]).toContain(text);
      }
    }
  });

  it('the customer report of each reads it back as given', async () => {
    for (const [text, order] of created) {
      const path = `/reports/customers/${encodeURIComponent(text)}`;
      const report = await eventually(
        `the reports to hold customer ${JSON.stringify(text)}`,
        async () => {
          const response = await client.get(path);
          return (
            response.statusCode === 200 &&
            response.json<{ customerId: string; name: string; totals: unknown[] }>()
          );
        },
        30_000,
        250,
      );
      expect(report).toEqual(
        expect.objectContaining({
          customerId: text,
          name: text,
          totals: [expect.objectContaining({ currency: order.currency, orders: 1 })],
        }),
      );
    }
  });
});

describe('a bad message written straight into the order topic is dead-lettered with a reason, and nothing else is affected', () => {
  const run = randomUUID().slice(0, 8);
  const key = (name: string) => `bad-${name}-${run}`;
  const binaryHeaders = (subject: string, type: string) => ({
    ce_specversion: '1.0',
    ce_id: randomUUID(),
    ce_source: '/somebody/else',
    ce_type: type,
    ce_subject: subject,
    ce_time: new Date().toISOString(),
    ce_sequence: '00000000000000000001',
    'content-type': 'application/json',
  });
  const orderState = (id: string) => ({ ...newOrderBody(), id, status: 'pending', version: 1 });
  /** Each bad message, and the reason its dead letter must give. */
  const BAD: { name: string; value: Buffer | null; headers?: Record<string, string>; reason: RegExp }[] = [
    {
      name: 'garbage',
      value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x7b]),
      reason: /not a valid CloudEvent: neither ce_id headers/,
    },
    {
      name: 'json-without-headers',
      value: Buffer.from(JSON.stringify({ type: 'io.tributary.order.created.v2', data: { state: {} } })),
      reason: /not a valid CloudEvent: neither ce_id headers/,
    },
    {
      name: 'binary-with-garbage-data',
      value: Buffer.from('{"change": '),
      headers: binaryHeaders(key('binary-with-garbage-data'), 'io.tributary.order.created.v2'),
      reason: /the data is not JSON/,
    },
    {
      name: 'unknown-type',
      value: Buffer.from(JSON.stringify({ change: {}, state: orderState(key('unknown-type')) })),
      headers: binaryHeaders(key('unknown-type'), 'io.tributary.order.shipped.v1'),
      reason: /unknown event type io\.tributary\.order\.shipped\.v1/,
    },
    {
      name: 'newer-version',
      value: Buffer.from(JSON.stringify({ change: {}, state: orderState(key('newer-version')) })),
      headers: binaryHeaders(key('newer-version'), 'io.tributary.order.created.v3'),
      reason: /newer schema version than this deployment knows \(up to v2\)/,
    },
    { name: 'tombstone', value: null, reason: /no value/ },
  ];
  const PROJECTORS = ['search', 'reporting'];

  beforeAll(async () => {
    const producer = fx.env.kafka().producer();
    await producer.connect();
    try {
      await producer.send({
        topic: orderTopic(config),
        acks: -1,
        messages: BAD.map(({ name, value, headers }) => ({ key: key(name), value, headers })),
      });
    } finally {
      await producer.disconnect();
    }
    // Good commands after the bad messages, so the projectors must get past them to apply these.
    const workload = orderWorkload(createOrderService(config, fx.store), seededRandom(67));
    for (let i = 0; i < 100; i++) await workload.step();
  });

  it('each lands in the dead-letter table with its reason, for both projectors, and in `dead-letters list`', async () => {
    const letters = await eventually(
      'a dead letter for every bad message from both projectors',
      async () => {
        const all = await listDeadLetters(pgExecutor(fx.pool));
        const ours = all.filter((l) => l.aggregateId?.endsWith(run));
        return ours.length >= BAD.length * PROJECTORS.length && ours;
      },
      60_000,
      500,
    );
    for (const bad of BAD) {
      for (const projector of PROJECTORS) {
        const letter = letters.filter((l) => l.aggregateId === key(bad.name) && l.projector === projector);
        expect({ bad: bad.name, projector, reasons: letter.map((l) => l.reason) }).toEqual({
          bad: bad.name,
          projector,
          reasons: [expect.stringMatching(bad.reason)],
        });
      }
    }
    const lines: string[] = [];
    expect(await deadLettersCommand(config, ['list'], (line) => lines.push(line))).toBe(0);
    for (const bad of BAD) {
      const listed = lines.filter((line) => line.includes(`\t${key(bad.name)}\t`));
      expect(listed).toHaveLength(PROJECTORS.length);
      for (const line of listed) expect(line).toMatch(bad.reason);
    }
  });

  it('each is copied to the .dlq topic with the original key and a dlq_reason header', async () => {
    const reader = await TopicReader.open(fx.env.kafka(), [dlqTopic(orderTopic(config))]);
    try {
      const complete = await reader.waitFor(
        (received) => received.filter((r) => r.key.endsWith(run)).length >= BAD.length * PROJECTORS.length,
        60_000,
      );
      expect(complete).toBe(true);
      for (const bad of BAD) {
        const copies = reader.received.filter((r) => r.key === key(bad.name));
        expect(copies.map((r) => r.headers[DLQ_HEADERS.projector]).sort()).toEqual(PROJECTORS.slice().sort());
        for (const copy of copies) {
          expect(copy.headers[DLQ_HEADERS.reason]).toMatch(bad.reason);
          expect(copy.headers[DLQ_HEADERS.topic]).toBe(orderTopic(config));
        }
      }
    } finally {
      await reader.close();
    }
  });

  it('every other order is still right: documents and reports equal the event store; only the bad messages are unexpected on Kafka', async () => {
    const report = await eventually(
      'the read models to be consistent with the store',
      async () => {
        const current = await verify();
        const readModels = current.checks.filter((c) => c.name !== 'events → Kafka');
        const clean = readModels.every(
          (c) => c.missing + c.mismatched + c.duplicated + c.unexpected + c.outOfOrder === 0,
        );
        return clean && current;
      },
      60_000,
      1_000,
    );
    expect(report.problems.filter((p) => p.check !== 'events → Kafka')).toEqual([]);
    const kafka = report.checks.find((c) => c.name === 'events → Kafka')!;
    expect(kafka).toEqual(
      expect.objectContaining({ missing: 0, outOfOrder: 0, duplicated: 0, unexpected: BAD.length }),
    );
    expect(report.checks.find((c) => c.name === 'search documents')!.checked).toBeGreaterThan(50);
    // Both projectors kept running throughout.
    for (const projector of pipeline.projectors) {
      expect(await Promise.race([projector.done.then(() => 'stopped'), Promise.resolve('running')])).toBe(
        'running',
      );
    }
  });
});
