import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sleep } from '../util';
import type { Capture, Refund } from './port';

/**
 * A fake payment gateway for tests and the demo: a small HTTP service with the API the gateway client
 * speaks, state in memory, and fault knobs. Captures and refunds are idempotent by their Idempotency-Key (a
 * retry answers the first result and charges nothing twice), and captures can be looked up by that key.
 *
 * Faults (`PUT /faults`, or at start): a share of captures declined, never answered (`timeout`: nothing
 * captured), captured with the answer lost (the connection dropped after the capture), or failed with 503;
 * every answer slowed by `slowMs`; every callback sent twice. `byOrder` forces one outcome for one order, so
 * a test can choose which order fails how.
 */

export type Outcome = 'decline' | 'timeout' | 'lost-answer' | 'fail';

export interface Faults {
  declineRate: number;
  timeoutRate: number;
  lostAnswerRate: number;
  failRate: number;
  slowMs: number;
  duplicateCallbacks: boolean;
  byOrder: Record<string, Outcome>;
}

export interface FakeGatewayOptions {
  /** The bearer key every request must carry. */
  apiKey: string;
  faults?: Partial<Faults>;
  /** Where capture results are posted (as a real gateway's webhooks), if anywhere. */
  callbackUrl?: string;
  random?: () => number;
}

export interface GatewayStats {
  captures: number;
  captured: number;
  declined: number;
  capturedAmount: number;
  refunds: number;
  refundedAmount: number;
  /** Calls answered from an earlier call with the same key. */
  replayed: number;
}

const NO_FAULTS: Faults = {
  declineRate: 0,
  timeoutRate: 0,
  lostAnswerRate: 0,
  failRate: 0,
  slowMs: 0,
  duplicateCallbacks: false,
  byOrder: {},
};

export const DECLINE_REASON = 'The card issuer declined the payment.';

type CaptureBody = { orderId: string; amount: number; currency: string };

const captureBody = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'amount', 'currency'],
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: 200 },
    amount: { type: 'integer', minimum: 1 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
} as const;

const refundBody = {
  type: 'object',
  additionalProperties: false,
  required: ['amount'],
  properties: { amount: { type: 'integer', minimum: 1 } },
} as const;

/** The gateway's state: captures by id and by key, refunds by key. */
class Ledger {
  readonly captures = new Map<string, Capture>();
  readonly capturesByKey = new Map<string, Capture>();
  readonly refundsByKey = new Map<string, Refund>();
  readonly stats: GatewayStats = {
    captures: 0,
    captured: 0,
    declined: 0,
    capturedAmount: 0,
    refunds: 0,
    refundedAmount: 0,
    replayed: 0,
  };

  capture(key: string, body: CaptureBody, declined: boolean): Capture {
    const capture: Capture = {
      id: randomUUID(),
      idempotencyKey: key,
      ...body,
      status: declined ? 'declined' : 'captured',
      ...(declined ? { declineReason: DECLINE_REASON } : {}),
      refundedAmount: 0,
      at: new Date().toISOString(),
    };
    this.captures.set(capture.id, capture);
    this.capturesByKey.set(key, capture);
    this.stats.captures++;
    if (declined) this.stats.declined++;
    else {
      this.stats.captured++;
      this.stats.capturedAmount += capture.amount;
    }
    return capture;
  }

  refund(key: string, capture: Capture, amount: number): Refund {
    const refund: Refund = {
      id: randomUUID(),
      idempotencyKey: key,
      captureId: capture.id,
      amount,
      at: new Date().toISOString(),
    };
    this.captures.set(capture.id, { ...capture, refundedAmount: capture.refundedAmount + amount });
    this.capturesByKey.set(capture.idempotencyKey, this.captures.get(capture.id)!);
    this.refundsByKey.set(key, refund);
    this.stats.refunds++;
    this.stats.refundedAmount += amount;
    return refund;
  }
}

function problem(reply: FastifyReply, status: number, detail: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: String(status), status, detail });
}

function keyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' && key.length > 0 && key.length <= 200 ? key : undefined;
}

function authorized(request: FastifyRequest, apiKey: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? '');
  const wanted = Buffer.from(`Bearer ${apiKey}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The fake gateway's HTTP app; `listen` it, and `close` it when done. */
export interface FakeGateway {
  app: FastifyInstance;
  faults: Faults;
  stats: GatewayStats;
}

export function buildFakeGateway(options: FakeGatewayOptions): FakeGateway {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const ledger = new Ledger();
  const faults: Faults = { ...NO_FAULTS, ...options.faults, byOrder: { ...options.faults?.byOrder } };
  const random = options.random ?? Math.random;
  const gateway: FakeGateway = { app, faults, stats: ledger.stats };

  app.addHook('onRequest', async (request, reply) => {
    if (!authorized(request, options.apiKey)) return problem(reply, 401, 'a valid API key is required');
    if (faults.slowMs > 0) await sleep(faults.slowMs);
  });
  registerCaptures(app, { ledger, faults, random, callbackUrl: options.callbackUrl });
  registerRefunds(app, ledger);
  app.get('/faults', async () => faults);
  app.put<{ Body: Partial<Faults> }>('/faults', async (request) => Object.assign(faults, request.body));
  app.get('/stats', async () => ledger.stats);
  return gateway;
}

interface CaptureContext {
  ledger: Ledger;
  faults: Faults;
  random: () => number;
  callbackUrl: string | undefined;
}

/** The outcome of a new capture: forced for its order, else drawn from the rates. */
function outcomeOf({ faults, random }: CaptureContext, orderId: string): Outcome | 'capture' {
  const forced = Object.hasOwn(faults.byOrder, orderId) ? faults.byOrder[orderId] : undefined;
  if (forced !== undefined) return forced;
  const draws: [Outcome, number][] = [
    ['fail', faults.failRate],
    ['timeout', faults.timeoutRate],
    ['decline', faults.declineRate],
    ['lost-answer', faults.lostAnswerRate],
  ];
  return draws.find(([, rate]) => random() < rate)?.[0] ?? 'capture';
}

function registerCaptures(app: FastifyInstance, context: CaptureContext): void {
  const { ledger } = context;
  app.post<{ Body: CaptureBody }>('/captures', { schema: { body: captureBody } }, async (request, reply) => {
    const key = keyOf(request);
    if (key === undefined)
      return problem(reply, 400, 'an Idempotency-Key header (1-200 characters) is required');
    const earlier = ledger.capturesByKey.get(key);
    if (earlier !== undefined) {
      ledger.stats.replayed++;
      return reply.code(earlier.status === 'declined' ? 402 : 200).send(earlier);
    }
    const outcome = outcomeOf(context, request.body.orderId);
    if (outcome === 'fail') return problem(reply, 503, 'the gateway is unavailable; nothing was captured');
    if (outcome === 'timeout') return hang(reply);
    const capture = ledger.capture(key, request.body, outcome === 'decline');
    notify(context, capture);
    if (outcome === 'lost-answer') {
      reply.hijack();
      request.raw.socket.destroy(); // captured, but the caller never hears it
      return reply;
    }
    return reply.code(capture.status === 'declined' ? 402 : 201).send(capture);
  });
  app.get<{ Querystring: { idempotencyKey?: string } }>('/captures', async (request, reply) => {
    const capture = ledger.capturesByKey.get(request.query.idempotencyKey ?? '');
    return capture === undefined ? problem(reply, 404, 'no capture was made with this key') : capture;
  });
  app.get<{ Params: { id: string } }>('/captures/:id', async (request, reply) => {
    const capture = ledger.captures.get(request.params.id);
    return capture === undefined ? problem(reply, 404, 'no such capture') : capture;
  });
}

function registerRefunds(app: FastifyInstance, ledger: Ledger): void {
  app.post<{ Params: { id: string }; Body: { amount: number } }>(
    '/captures/:id/refunds',
    { schema: { body: refundBody } },
    async (request, reply) => {
      const key = keyOf(request);
      if (key === undefined)
        return problem(reply, 400, 'an Idempotency-Key header (1-200 characters) is required');
      const earlier = ledger.refundsByKey.get(key);
      if (earlier !== undefined) {
        ledger.stats.replayed++;
        return reply.code(200).send(earlier);
      }
      const capture = ledger.captures.get(request.params.id);
      if (capture === undefined || capture.status !== 'captured')
        return problem(reply, 404, 'no such capture');
      const left = capture.amount - capture.refundedAmount;
      if (request.body.amount > left) {
        return problem(
          reply,
          422,
          `only ${left} of the capture is left to refund, ${request.body.amount} asked`,
        );
      }
      return reply.code(201).send(ledger.refund(key, capture, request.body.amount));
    },
  );
}

/** Never answers: the caller's deadline passes (the connection closes when the caller gives up). */
function hang(reply: FastifyReply): FastifyReply {
  reply.hijack();
  return reply;
}

/** Posts the capture to the callback URL (twice with `duplicateCallbacks`); failures are the receiver's. */
function notify({ callbackUrl, faults }: CaptureContext, capture: Capture): void {
  if (callbackUrl === undefined) return;
  const body = JSON.stringify({ type: `capture.${capture.status}`, capture });
  const times = faults.duplicateCallbacks ? 2 : 1;
  for (let i = 0; i < times; i++) {
    void fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(
      () => undefined,
    );
  }
}
