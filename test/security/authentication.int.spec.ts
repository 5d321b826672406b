import { generateKeyPairSync } from 'node:crypto';
import { newOrderBody } from '../api/client';
import type { OrderView } from '../../src/domain/orders/view';
import { revokeApiKey } from '../../src/auth';
import { pgExecutor } from '../../src/db/executor';
import { openStoreFixture, type StoreFixture } from '../fixtures/store';
import { expectUnauthenticated, startSecuredApi, storeCounts, type SecuredApi } from './api';
import { expectProblem } from '../api/client';

/**
 * Who is calling, against the real command side on PostgreSQL: every credential that is missing, forged,
 * out of date or revoked gets a 401 problem+json with a WWW-Authenticate challenge, and the command it
 * carried stores nothing (events, outbox, streams and idempotency keys counted before and after).
 */

let fx: StoreFixture;
let api: SecuredApi;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 4 });
  api = await startSecuredApi(fx);
});
afterAll(async () => {
  await api?.close();
  await fx?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => api.as({ authorization: `Bearer ${token}` });
const customerToken = (claims: Record<string, unknown>) =>
  api.issuer.token({ claims: { sub: 'user-c-1', roles: ['customer'], customer_id: 'c-1', ...claims } });
const placeOrder = newOrderBody({ customer: { id: 'c-1', name: 'Ada', email: 'ada@example.com' } });

describe('a command with a credential that is not good enough is refused with 401, and stores nothing', () => {
  const cases: Record<string, { send: () => ReturnType<SecuredApi['as']>; detail: RegExp }> = {
    'no credential at all': { send: () => api.as(), detail: /needs a credential/ },
    'an expired token': { send: () => bearer(customerToken({ exp: now() - 120 })), detail: /expired/ },
    'a token not valid yet': { send: () => bearer(customerToken({ nbf: now() + 600 })), detail: /nbf/ },
    'a token of another issuer': {
      send: () => bearer(customerToken({ iss: 'https://idp.evil' })),
      detail: /iss/,
    },
    'a token for another audience': {
      send: () => bearer(customerToken({ aud: 'billing-api' })),
      detail: /aud/,
    },
    'a token signed with another key': {
      send: () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return bearer(api.issuer.token({ signWith: { key: privateKey } }));
      },
      detail: /signature/,
    },
    'an unsigned token (alg: none)': {
      send: () => bearer(api.issuer.token({ signWith: { none: true } })),
      detail: /not signed with one of/,
    },
    'an HMAC token signed with the public key': {
      send: () => {
        const pem = api.issuer.publicKey.export({ format: 'pem', type: 'spki' });
        return bearer(api.issuer.token({ signWith: { hmacSecret: pem } }));
      },
      detail: /not signed with one of/,
    },
    'an API key that does not exist': {
      send: () => api.as({ 'x-api-key': `trb_000000000000_${'x'.repeat(43)}` }),
      detail: /API key is not valid/,
    },
    'Basic credentials': {
      send: () => api.as({ authorization: 'Basic YWRtaW46YWRtaW4=' }),
      detail: /Bearer/,
    },
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const { send, detail } = cases[name]!;
    const before = await storeCounts(fx);
    expectUnauthenticated(await send().post('/orders', placeOrder), detail);
    expectUnauthenticated(await send().get('/orders/any-order'), detail);
    expect(await storeCounts(fx)).toEqual(before);
  });
});

describe('API keys', () => {
  it('a key is the principal apikey:<client>, and that is the actor of the events it causes', async () => {
    const { key } = await api.newApiKey('shop-frontend', ['admin']);
    const created = await api.as({ 'x-api-key': key }).post('/orders', placeOrder);
    expect(created.statusCode).toBe(201);
    const order = created.json<OrderView>();
    const history = await api.as({ authorization: `ApiKey ${key}` }).get(`/orders/${order.id}/history`);
    expect(history.json<{ events: { metadata: { actor: string } }[] }>().events[0]?.metadata.actor).toBe(
      'apikey:shop-frontend',
    );
    const { rows } = await fx.pool.query(
      `select secret_hash from api_keys where client_id = 'shop-frontend'`,
    );
    // Only the hash is stored.
    expect(JSON.stringify(rows)).not.toContain(key.slice(17));
  });

  it('a revoked key gets 401 at once (no cache window here), and stores nothing', async () => {
    const { key, record } = await api.newApiKey('partner-x', ['admin']);
    const client = api.as({ 'x-api-key': key });
    expect((await client.get('/orders/none')).statusCode).toBe(404);
    await revokeApiKey(pgExecutor(fx.pool), record.prefix);
    const before = await storeCounts(fx);
    expectUnauthenticated(await client.post('/orders', placeOrder), /revoked/);
    expect(await storeCounts(fx)).toEqual(before);
  });

  it('with a cache window, a revoked key works until the window has passed, then never again', async () => {
    const cached = await startSecuredApi(fx, { apiKeyCacheMs: 1_500 });
    try {
      const { key, record } = await cached.newApiKey('partner-y', ['support']);
      const client = cached.as({ 'x-api-key': key });
      expect((await client.get('/orders/none')).statusCode).toBe(404);
      await revokeApiKey(pgExecutor(fx.pool), record.prefix);
      expect((await client.get('/orders/none')).statusCode).toBe(404); // remembered, within the window
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      expectUnauthenticated(await client.get('/orders/none'), /revoked/);
    } finally {
      await cached.close();
    }
  });

  it('a key and a token together are one credential too many: 401', async () => {
    const { key } = await api.newApiKey('both-sent', ['admin']);
    const headers = { 'x-api-key': key, authorization: `Bearer ${api.issuer.tokenFor('admin')}` };
    expectUnauthenticated(await api.as(headers).get('/orders/none'), /one credential/);
  });
});

describe('the actor cannot be forged', () => {
  it('a command with X-Actor is refused with 400 problem+json, and stores nothing', async () => {
    const before = await storeCounts(fx);
    const client = api.asRole('customer', 'c-1');
    const problem = expectProblem(
      await client.post('/orders', placeOrder, { 'x-actor': 'ceo@shop.example' }),
      400,
      '/problems/input.invalid',
    );
    expect(problem.errors).toEqual([{ path: 'headers.x-actor', message: 'is not accepted' }]);
    expect(await storeCounts(fx)).toEqual(before);
  });

  it("the token's subject is the actor, whatever else the request says", async () => {
    const created = await api.asRole('customer', 'c-1').post('/orders', placeOrder);
    expect(created.statusCode).toBe(201);
    const { rows } = await fx.pool.query<{ actor: string }>(
      `select metadata->>'actor' as actor from events where stream_id = $1`,
      [`order-${created.json<OrderView>().id}`],
    );
    expect(rows).toEqual([{ actor: 'user-c-1' }]);
  });
});
