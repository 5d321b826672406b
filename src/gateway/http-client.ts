import { TributaryError } from '../errors';
import type { Capture, PaymentGateway, Refund } from './port';

/**
 * The payment gateway over HTTP (the fake gateway's API, fake.ts, which a real gateway's adapter would
 * replace): JSON bodies, `Authorization: Bearer <key>`, `Idempotency-Key` on every call, and a deadline per
 * call after which the answer counts as lost.
 */

export interface GatewayClientOptions {
  /** Base URL, e.g. http://127.0.0.1:4010. */
  url: string;
  /** The gateway's API key; sent as a bearer token. */
  apiKey: string;
  /** A call not answered within this many ms is abandoned (`infra.unavailable`). */
  timeoutMs: number;
}

type Answer = { status: number; body: unknown };

export function createGatewayClient(options: GatewayClientOptions): PaymentGateway {
  const base = options.url.replace(/\/+$/, '');
  const call = (method: string, path: string, body?: unknown, key?: string) =>
    send(options, method, `${base}${path}`, body, key);
  return {
    async capture(request) {
      const { idempotencyKey, ...body } = request;
      const answer = await call('POST', '/captures', body, idempotencyKey);
      if (answer.status === 201 || answer.status === 200 || answer.status === 402)
        return answer.body as Capture;
      throw unexpected('capture', answer);
    },
    async refund(request) {
      const { idempotencyKey, captureId, amount } = request;
      const path = `/captures/${encodeURIComponent(captureId)}/refunds`;
      const answer = await call('POST', path, { amount }, idempotencyKey);
      if (answer.status === 201 || answer.status === 200) return answer.body as Refund;
      if (answer.status === 422 || answer.status === 404) {
        throw new TributaryError('domain.rule', `the gateway refused the refund: ${detailOf(answer)}`, {
          details: { captureId, amount, status: answer.status },
        });
      }
      throw unexpected('refund', answer);
    },
    async findCapture(idempotencyKey) {
      const answer = await call('GET', `/captures?idempotencyKey=${encodeURIComponent(idempotencyKey)}`);
      if (answer.status === 404) return undefined;
      if (answer.status === 200) return answer.body as Capture;
      throw unexpected('capture lookup', answer);
    },
  };
}

async function send(
  options: GatewayClientOptions,
  method: string,
  url: string,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    // A timeout or a dropped connection: whether the call took effect is unknown.
    throw new TributaryError(
      'infra.unavailable',
      `payment gateway: no answer to ${method} (${reasonOf(error)})`,
      {
        cause: error,
        retriable: true,
        details: { method, timeoutMs: options.timeoutMs },
      },
    );
  }
  const text = await response.text().catch(() => '');
  return { status: response.status, body: parse(text) };
}

function unexpected(what: string, answer: Answer): TributaryError {
  if (answer.status === 401 || answer.status === 403) {
    return new TributaryError('infra.denied', `payment gateway refused the API key (${answer.status})`, {
      details: { status: answer.status },
    });
  }
  return new TributaryError(
    'infra.unavailable',
    `payment gateway: ${what} answered ${answer.status}: ${detailOf(answer)}`,
    {
      retriable: answer.status >= 500 || answer.status === 429,
      details: { status: answer.status },
    },
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

const detailOf = (answer: Answer) => String((answer.body as { detail?: unknown })?.detail ?? answer.status);

function reasonOf(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return name === 'TimeoutError' || /timeout/i.test(message ?? '') ? 'timed out' : (message ?? 'failed');
}
