import { TributaryError } from '../errors';

/** What the demo sees of an API answer: the status and the parsed JSON body (the text when not JSON). */
export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  /** Seconds the API asked to wait before trying again (its Retry-After header, with a 429 or 503). */
  retryAfterS?: number;
}

/**
 * A small client of the HTTP API, the way any integrator would call it. A network failure is a readable
 * `infra.unavailable` error naming the request; an HTTP error status is an answer for the caller to judge.
 */
export class DemoApi {
  /** @param credential headers of every request (the demo's API key or token). */
  constructor(
    readonly baseUrl: string,
    private readonly credential: Record<string, string> = {},
  ) {}

  async request<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...this.credential,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new TributaryError('infra.unavailable', `the API did not answer ${method} ${path}: ${reason}`, {
        cause: error,
        retriable: true,
      });
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const retryAfterS = Number(response.headers.get('retry-after') ?? Number.NaN);
    return { status: response.status, body: parsed as T, ...(retryAfterS >= 0 ? { retryAfterS } : {}) };
  }

  get<T = unknown>(path: string): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path);
  }

  /** GET that must answer 200; anything else is an error quoting the problem's detail. */
  async getOk<T>(path: string): Promise<T> {
    const answer = await this.get<T>(path);
    if (answer.status !== 200) throw unexpected('GET', path, answer);
    return answer.body;
  }
}

/** A readable error for an answer the demo did not expect. */
export function unexpected(method: string, path: string, answer: ApiAnswer): TributaryError {
  return new TributaryError('internal', `${method} ${path} answered ${answer.status}: ${detailOf(answer)}`);
}

/** The problem+json `detail` of an error answer, or its text. */
export function detailOf(answer: ApiAnswer): string {
  const body = answer.body as { detail?: unknown } | string;
  if (typeof body === 'object' && body !== null && typeof body.detail === 'string') return body.detail;
  return String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 200);
}
