import type { OrderView } from '../../src/domain/orders/view';
import type { Problem } from '../../src/api/problem';

/**
 * Small helpers the API contract tests share: an HTTP client and assertions on problem details. Kept apart
 * from the contract so each contract file stays about the rules it states.
 *
 * The client speaks real HTTP to a listening app rather than using `app.inject()`: inject loads
 * light-my-request, whose `cookie` dependency is ESM-only, which Jest's CommonJS runtime cannot load.
 */

export type Headers = Record<string, string>;

/** What a test sees of a response. */
export type ApiResponse = {
  statusCode: number;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: string;
  json<T = unknown>(): T;
};

export function newOrderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customer: { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: 'SKU-1', name: 'Widget', quantity: 2, unitPrice: 1250 }],
    currency: 'EUR',
    ...overrides,
  };
}

export const secondLine = { sku: 'SKU-2', name: 'Gadget', quantity: 1, unitPrice: 500 };

export class ApiClient {
  /**
   * @param baseUrl where the app listens, e.g. `http://127.0.0.1:41234`; read at every request.
   * @param defaults headers of every request (the credential), under the request's own.
   */
  constructor(
    private readonly baseUrl: () => string,
    private readonly defaults: Headers = {},
  ) {}

  /** Sends `body` as JSON (or as-is when it is a string, with the content type in `headers`). */
  async send(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Headers = {},
  ): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const contentType: Headers = typeof body === 'object' ? { 'content-type': 'application/json' } : {};
    const response = await fetch(`${this.baseUrl()}${url}`, {
      method,
      body: payload,
      headers: { ...contentType, ...this.defaults, ...headers },
    });
    const text = await response.text();
    return {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: text,
      json: <T>() => JSON.parse(text) as T,
    };
  }

  get(url: string, headers: Headers = {}) {
    return this.send('GET', url, undefined, headers);
  }

  post(url: string, body?: unknown, headers: Headers = {}) {
    return this.send('POST', url, body, headers);
  }

  /** Creates an order and returns it; fails the test unless the API answered 201. */
  async createOrder(overrides: Record<string, unknown> = {}, headers: Headers = {}): Promise<OrderView> {
    const response = await this.post('/orders', newOrderBody(overrides), headers);
    expect(response.statusCode).toBe(201);
    return response.json<OrderView>();
  }

  /** Creates an order, then cancels it. */
  async cancelledOrder(): Promise<OrderView> {
    const order = await this.createOrder();
    const response = await this.post(`/orders/${order.id}/cancel`, { reason: 'customer changed their mind' });
    expect(response.statusCode).toBe(200);
    return response.json<OrderView>();
  }
}

/** Asserts `response` is RFC 9457 problem details with `status` (and `type`, when given); returns it. */
export function expectProblem(response: ApiResponse, status: number, type?: string): Problem {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json<Problem>();
  expect(problem).toEqual(
    expect.objectContaining({
      type: type ?? expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.any(String),
    }),
  );
  // No stack trace, whatever the status.
  expect(problem).not.toHaveProperty('stack');
  expect(JSON.stringify(problem)).not.toMatch(/\.[jt]s:\d+:\d+/);
  return problem;
}

/** The field paths a 400 problem lists. */
export function errorPaths(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => error.path);
}
