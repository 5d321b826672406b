import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeOrderService } from '../../../test/api/fake-order-service';
import { TestIssuer } from '../../../test/fixtures/auth';
import { contractsFor, defaultSchemasDir } from '../../cli/schemas';
import { loadConfig } from '../../config';
import { buildApp } from '../app';

/** The contract routes, through the real app (auth included): public, cached, problem+json when unknown. */
const config = loadConfig({ HTTP_PORT: '46999', TOPIC_PREFIX: 'shop.' });
const app = buildApp({
  service: new FakeOrderService(),
  authenticator: new TestIssuer().authenticator(),
  contracts: contractsFor(config),
});
afterAll(() => app.close());

describe('GET /schemas/<aggregate>/<EventType>/v<N>.json', () => {
  it('serves the schema to anyone as application/schema+json, cached as immutable, with a strong ETag', async () => {
    const response = await app.inject({ url: '/schemas/order/OrderCreated/v1.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const file = JSON.parse(readFileSync(join(defaultSchemasDir(), 'order/OrderCreated/v1.json'), 'utf8'));
    expect(response.json()).toEqual(file);
  });

  it('answers 304 to a client that has the same version (If-None-Match)', async () => {
    const first = await app.inject({ url: '/schemas/payment/PaymentRecorded/v1.json' });
    const again = await app.inject({
      url: '/schemas/payment/PaymentRecorded/v1.json',
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers 404 problem+json for a type or version that has no schema', async () => {
    for (const url of [
      '/schemas/order/OrderCreated/v3.json',
      '/schemas/order/Nope/v1.json',
      '/schemas/x/y/z',
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404, type: '/problems/store.not_found' });
    }
  });
});

describe('GET /asyncapi.json and /asyncapi.yaml', () => {
  it('serves the same AsyncAPI 3.0 document as JSON and YAML, to anyone, with the deployment topic names', async () => {
    const json = await app.inject({ url: '/asyncapi.json' });
    const yaml = await app.inject({ url: '/asyncapi.yaml' });
    expect([json.statusCode, yaml.statusCode]).toEqual([200, 200]);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    const document = json.json();
    expect(parse(yaml.body)).toEqual(document);
    expect(document.asyncapi).toBe('3.0.0');
    expect(document.channels.order.address).toBe('shop.order');
    expect(document.channels.orderDeadLetters.address).toBe('shop.order.dlq');
    expect(document.channels.payment.address).toBe('shop.payment');
  });

  it('names each message by its CloudEvent type and its dataschema URI on this API', async () => {
    const { components } = (await app.inject({ url: '/asyncapi.json' })).json();
    const message = components.messages.OrderCreated_v2;
    expect(message.name).toBe('io.tributary.order.created.v2');
    expect(message.headers.properties.ce_dataschema).toEqual({
      const: 'http://127.0.0.1:46999/schemas/order/OrderCreated/v2.json',
    });
    expect(message.headers.properties).not.toHaveProperty('ce_datacontenttype');
    expect(message.payload).toEqual({ $ref: '#/components/schemas/OrderCreated_v2' });
    expect(components.schemas.OrderCreated_v2.required).toEqual(['change', 'state']);
  });
});
