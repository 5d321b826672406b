import { expectProblem, newOrderBody } from '../api/client';
import { openStoreFixture, type StoreFixture } from '../fixtures/store';
import { startSecuredApi, storeCounts, type SecuredApi } from './api';

/**
 * Rate limiting per principal, as `serve` wires it (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS): a caller over
 * its limit gets 429 problem+json with Retry-After, and nothing it sent past the limit is stored; another
 * caller is not slowed by it.
 */

const MAX = 5;
let fx: StoreFixture;
let api: SecuredApi;

beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  api = await startSecuredApi(fx, { rateLimit: { max: MAX, windowMs: 60_000 } });
});

afterAll(async () => {
  await api?.close();
  await fx?.close();
});

describe('rate limiting per principal', () => {
  it('answers 429 with Retry-After past the limit, stores nothing, and leaves other principals alone', async () => {
    const greedy = api.asRole('customer', 'c-greedy');
    for (let i = 0; i < MAX - 1; i++) {
      expect((await greedy.get(`/orders/missing-${i}`)).statusCode).toBe(404);
    }
    const created = await greedy.post(
      '/orders',
      newOrderBody({ customer: { id: 'c-greedy', name: 'G', email: 'g@example.com' } }),
    );
    expect(created.statusCode).toBe(201);

    const before = await storeCounts(fx);
    const refused = await greedy.post(
      '/orders',
      newOrderBody({ customer: { id: 'c-greedy', name: 'G', email: 'g@example.com' } }),
    );
    const problem = expectProblem(refused, 429);
    expect(problem.detail).toMatch(/Too many requests/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['x-ratelimit-limit']).toBe(String(MAX));
    expect(await storeCounts(fx)).toEqual(before);

    // Another principal (and another customer) has its own budget.
    expect((await api.asRole('customer', 'c-calm').get('/orders/missing-x')).statusCode).toBe(404);
    expect((await api.asRole('support').get('/orders/missing-y')).statusCode).toBe(404);
  });

  it('counts an API key as its own principal', async () => {
    const { key } = await api.newApiKey('rate-limited-service', ['admin']);
    const service = api.as({ 'x-api-key': key });
    const statuses: number[] = [];
    for (let i = 0; i < MAX + 2; i++) statuses.push((await service.get(`/orders/none-${i}`)).statusCode);
    expect(statuses).toEqual([...Array(MAX).fill(404), 429, 429]);
  });
});
