import { randomUUID } from 'node:crypto';
import { between, pick } from '../fixtures/random';
import { sleep } from '../../src/util';

/**
 * An open-loop HTTP load generator against the API: a command every 1/rate seconds whatever the answers
 * (a closed loop would slow down during a fault and hide it). A realistic order mix — new orders, lines
 * added and removed, confirmations, cancellations — with some commands conditional on If-Match, some sent as
 * concurrent pairs on the same version (exactly one may win), and some with an Idempotency-Key that are
 * retried after a failure. Answers are counted as accepted (2xx), rejected (4xx: the domain or a version
 * conflict said no) or failed (5xx, timeouts, connection errors while the API or a service is down). A
 * failed command may or may not have committed; `verify` compares the store with downstream, so that is fine.
 */

export interface LoadResult {
  sent: number;
  accepted: number;
  rejected: number;
  failed: number;
  /** Commands not sent because too many were in flight (the API stalled). */
  shed: number;
  /** Retries of failed commands carrying an Idempotency-Key. */
  retried: number;
  /** Answers by status (0 = no answer: connection error or timeout). */
  statuses: Record<string, number>;
  /** Concurrent pairs on one If-Match version, and how many of them saw both commands accepted (must be 0). */
  pairs: number;
  pairsBothAccepted: number;
  /** Orders the API confirmed creating. */
  ordersCreated: number;
}

export interface LoadGenerator {
  /** Stops sending; resolves when every command in flight has been answered (or timed out). */
  stop(): Promise<LoadResult>;
  /** Order ids created and acknowledged so far (for the rolled-back-command writer). */
  openOrders(): string[];
  result(): LoadResult;
}

export interface LoadOptions {
  baseUrl: string;
  ratePerSecond: number;
  random: () => number;
  /** Headers of every request: the load generator's credential. */
  credential?: Record<string, string>;
  /** Most commands in flight; beyond it, commands are shed (counted). */
  maxInFlight?: number;
  requestTimeoutMs?: number;
}

interface OrderState {
  id: string;
  version: number;
  skus: Set<string>;
  currency: string;
}

interface Request {
  method: 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  ifMatch?: number;
  idempotencyKey?: string;
}

/** The SKUs the load orders: the harness receives stock for them, so confirmed orders are fulfilled. */
export const SKUS = ['tea-1', 'tea-2', 'mug-1', 'pot-1', 'cup-1', 'leaf-1', 'leaf-2', 'box-1'];

export function startLoad(options: LoadOptions): LoadGenerator {
  const { baseUrl, random } = options;
  const maxInFlight = options.maxInFlight ?? 150;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const result: LoadResult = {
    sent: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    shed: 0,
    retried: 0,
    statuses: {},
    pairs: 0,
    pairsBothAccepted: 0,
    ordersCreated: 0,
  };
  const open = new Map<string, OrderState>();
  const inFlight = new Set<Promise<unknown>>();
  let running = true;

  /** One HTTP exchange: the status (0 when there was no answer) and the order version from the ETag. */
  async function send(request: Request): Promise<{ status: number; version?: number }> {
    const headers: Record<string, string> = { ...options.credential };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.ifMatch !== undefined) headers['if-match'] = `"${request.ifMatch}"`;
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    try {
      const response = await fetch(`${baseUrl}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      const etag = /^"(\d+)"$/.exec(response.headers.get('etag') ?? '');
      return { status: response.status, ...(etag ? { version: Number(etag[1]) } : {}) };
    } catch {
      return { status: 0 };
    }
  }

  /** Sends, retrying a failure up to 3 times when the request carries an Idempotency-Key. */
  async function command(request: Request): Promise<{ status: number; version?: number }> {
    result.sent++;
    let answer = await send(request);
    for (let retry = 1; retry <= 3 && request.idempotencyKey && failedStatus(answer.status); retry++) {
      await sleep(500 * retry);
      result.retried++;
      answer = await send(request);
    }
    result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
    if (answer.status >= 200 && answer.status < 300) result.accepted++;
    else if (answer.status >= 400 && answer.status < 500) result.rejected++;
    else result.failed++;
    return answer;
  }

  const failedStatus = (status: number) => status === 0 || status >= 500;

  const line = (sku: string) => ({
    sku,
    name: `item ${sku}`,
    quantity: between(random, 1, 4),
    unitPrice: between(random, 100, 4_000),
  });

  async function createOrder(): Promise<void> {
    const id = randomUUID();
    const c = between(random, 1, 30);
    const sku = pick(random, SKUS);
    const currency = pick(random, ['EUR', 'USD']);
    const answer = await command({
      method: 'POST',
      path: '/orders',
      body: {
        id,
        customer: { id: `cust-${c}`, name: `Customer ${c}`, email: `customer${c}@example.com` },
        lines: [line(sku)],
        currency,
      },
      ...(random() < 0.3 ? { idempotencyKey: randomUUID() } : {}),
    });
    if (answer.status === 201) {
      result.ordersCreated++;
      open.set(id, { id, version: answer.version ?? 1, skus: new Set([sku]), currency });
    }
  }

  function onAnswer(order: OrderState, answer: { status: number; version?: number }, closes: boolean) {
    if (answer.status === 200 && answer.version !== undefined)
      order.version = Math.max(order.version, answer.version);
    if ((answer.status === 200 && closes) || answer.status === 404) open.delete(order.id);
  }

  async function changeOrder(order: OrderState): Promise<void> {
    const r = random();
    const conditional = random() < 0.15 ? { ifMatch: order.version } : {};
    const key = random() < 0.2 ? { idempotencyKey: randomUUID() } : {};
    const path = `/orders/${order.id}`;
    if (r < 0.45) {
      const sku = pick(random, SKUS);
      const answer = await command({
        method: 'POST',
        path: `${path}/lines`,
        body: line(sku),
        ...conditional,
        ...key,
      });
      if (answer.status === 200) order.skus.add(sku);
      onAnswer(order, answer, false);
    } else if (r < 0.65) {
      const sku = pick(random, [...order.skus]);
      const answer = await command({
        method: 'DELETE',
        path: `${path}/lines/${sku}`,
        ...conditional,
        ...key,
      });
      if (answer.status === 200) order.skus.delete(sku);
      onAnswer(order, answer, false);
    } else if (r < 0.9) {
      onAnswer(
        order,
        await command({ method: 'POST', path: `${path}/confirm`, ...conditional, ...key }),
        true,
      );
    } else {
      const body = { reason: 'customer asked' };
      onAnswer(
        order,
        await command({ method: 'POST', path: `${path}/cancel`, body, ...conditional, ...key }),
        true,
      );
    }
  }

  /** Two commands on the same order and the same If-Match version at once: at most one may be accepted. */
  async function conflictingPair(order: OrderState): Promise<void> {
    const version = order.version;
    const [a, b] = SKUS.filter((sku) => !order.skus.has(sku));
    if (!a || !b) return;
    result.pairs++;
    const answers = await Promise.all(
      [a, b].map((sku) =>
        command({ method: 'POST', path: `/orders/${order.id}/lines`, body: line(sku), ifMatch: version }),
      ),
    );
    if (answers.every((answer) => answer.status === 200)) result.pairsBothAccepted++;
    answers.forEach((answer, i) => {
      if (answer.status === 200) order.skus.add([a, b][i]!);
      onAnswer(order, answer, false);
    });
  }

  function next(): Promise<void> {
    if (open.size < 8 || random() < 0.3) return createOrder();
    const order = pick(random, [...open.values()]);
    if (random() < 0.04) return conflictingPair(order);
    return changeOrder(order);
  }

  const intervalMs = 1_000 / options.ratePerSecond;
  const started = Date.now();
  let issued = 0;
  // Catch up on the schedule rather than drift: a busy event loop must not lower the offered rate.
  const ticker = setInterval(
    () => {
      const due = Math.floor((Date.now() - started) / intervalMs);
      for (; issued < due && running; issued++) {
        if (inFlight.size >= maxInFlight) {
          result.shed++;
          continue;
        }
        const work = next().catch(() => undefined);
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      }
    },
    Math.max(5, Math.floor(intervalMs / 2)),
  );

  return {
    async stop() {
      running = false;
      clearInterval(ticker);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      return result;
    },
    openOrders: () => [...open.keys()],
    result: () => result,
  };
}
