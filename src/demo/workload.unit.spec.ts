import { randomUUID } from 'node:crypto';
import type { ApiAnswer, DemoApi } from './http';
import { describeTotals, Workload } from './workload';

/** An API that answers 429 to the first `throttle` requests, then creates orders and refuses the rest. */
function fakeApi(throttle: number) {
  const sent: { method: string; path: string; key: string | undefined }[] = [];
  const api = {
    async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      sent.push({ method, path, key: headers['idempotency-key'] });
      if (sent.length <= throttle) return { status: 429, body: {}, retryAfterS: 0 } satisfies ApiAnswer;
      if (method !== 'POST' || path !== '/orders') return { status: 422, body: {} } satisfies ApiAnswer;
      const { lines, currency } = body as { lines: { sku: string }[]; currency: string };
      const view = { id: randomUUID(), status: 'pending', lines, currency, totalAmount: 100, version: 1 };
      return { status: 201, body: view } satisfies ApiAnswer;
    },
  };
  return { api: api as unknown as DemoApi, sent };
}

it('sends a command answered 429 again after its Retry-After: throttled, not failed', async () => {
  const { api, sent } = fakeApi(5);
  const workload = new Workload(api, { commands: 20, customers: 5, ratePerSecond: 1_000, concurrency: 1 });
  await workload.run(new AbortController().signal);
  const { stats } = workload;
  expect(stats).toMatchObject({ sent: 20, failed: 0, throttled: 5 });
  expect(stats.accepted + stats.rejected).toBe(20);
  expect(sent).toHaveLength(25);
  // The first command (an order placed) went out six times, always with the same idempotency key.
  expect(new Set(sent.slice(0, 6).map((s) => `${s.method} ${s.path} ${s.key}`)).size).toBe(1);
  expect(sent[0]!.key).toEqual(expect.any(String));
  expect(describeTotals(stats)).toMatch(
    /0 failed \(5 answers were 429: sent again after their Retry-After\)$/,
  );
});
