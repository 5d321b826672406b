import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { Pool } from 'pg';
import type { OrderService } from '../../src/commands';
import type { Step } from './order-flow';

/**
 * How the latency bench sends a command: over HTTP to the API (the honest measure: parsing, validation,
 * serialisation and the socket are part of what a client waits for), or by calling the service directly
 * when there is no API to call. Each transport also has a baseline operation that does the least possible
 * through the same path, measured in the same run: the floor set by the machine and the generator.
 */
export interface Transport {
  name: 'http' | 'direct';
  execute(step: Step): Promise<void>;
  baseline(): Promise<void>;
  /** What the baseline operation is, for the report. */
  baselineName: string;
  close(): Promise<void>;
}

export function directTransport(service: OrderService, pool: Pool): Transport {
  const at = () => new Date().toISOString();
  const options = () => ({ metadata: { correlationId: randomUUID() } });
  return {
    name: 'direct',
    baselineName: '`select 1` through the same pg pool',
    async execute(step) {
      switch (step.kind) {
        case 'create':
          await service.executeOrder(
            {
              type: 'CreateOrder',
              orderId: step.orderId,
              customer: step.customer,
              lines: step.lines,
              currency: step.currency,
              at: at(),
            },
            options(),
          );
          return;
        case 'add-line':
          await service.executeOrder(
            { type: 'AddOrderLine', orderId: step.orderId, line: step.line, at: at() },
            options(),
          );
          return;
        case 'remove-line':
          await service.executeOrder(
            { type: 'RemoveOrderLine', orderId: step.orderId, sku: step.sku, at: at() },
            options(),
          );
          return;
        case 'confirm':
          await service.executeOrder({ type: 'ConfirmOrder', orderId: step.orderId, at: at() }, options());
          return;
        case 'cancel':
          await service.executeOrder(
            { type: 'CancelOrder', orderId: step.orderId, reason: step.reason, at: at() },
            options(),
          );
          return;
        case 'pay':
          await service.executePayment(
            {
              type: 'RecordPayment',
              paymentId: step.paymentId,
              orderId: step.orderId,
              amount: step.amount,
              currency: step.currency,
              method: step.method,
              at: at(),
            },
            options(),
          );
          return;
        case 'refund':
          await service.executePayment(
            {
              type: 'RefundPayment',
              paymentId: step.paymentId,
              amount: step.amount,
              currency: step.currency,
              reason: step.reason,
              at: at(),
            },
            options(),
          );
          return;
      }
    },
    async baseline() {
      await pool.query('select 1');
    },
    close: async () => undefined,
  };
}

/** The request of each step, as the API's routes take them (src/api/routes). */
function httpRequestOf(step: Step): { method: 'POST' | 'DELETE'; path: string; body?: unknown } {
  const order = (id: string) => `/orders/${encodeURIComponent(id)}`;
  switch (step.kind) {
    case 'create':
      return {
        method: 'POST',
        path: '/orders',
        body: { id: step.orderId, customer: step.customer, lines: step.lines, currency: step.currency },
      };
    case 'add-line':
      return { method: 'POST', path: `${order(step.orderId)}/lines`, body: step.line };
    case 'remove-line':
      return { method: 'DELETE', path: `${order(step.orderId)}/lines/${encodeURIComponent(step.sku)}` };
    case 'confirm':
      return { method: 'POST', path: `${order(step.orderId)}/confirm` };
    case 'cancel':
      return { method: 'POST', path: `${order(step.orderId)}/cancel`, body: { reason: step.reason } };
    case 'pay':
      return {
        method: 'POST',
        path: `${order(step.orderId)}/payments`,
        body: { id: step.paymentId, amount: step.amount, currency: step.currency, method: step.method },
      };
    case 'refund':
      return {
        method: 'POST',
        path: `/payments/${encodeURIComponent(step.paymentId)}/refunds`,
        body: { amount: step.amount, currency: step.currency, reason: step.reason },
      };
  }
}

/**
 * Keep-alive HTTP/1.1 client; a non-2xx answer rejects with the status and the problem title. `credential`
 * goes with every command (not with the baseline, which measures the unknown-route floor).
 */
export function httpTransport(baseUrl: string, credential: Record<string, string> = {}): Transport {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`the bench only targets 127.0.0.1, not ${url.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const send = (method: string, path: string, body?: unknown, auth: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers:
            payload === undefined
              ? auth
              : {
                  ...auth,
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(status);
            let title = '';
            try {
              title = (JSON.parse(text) as { title?: string }).title ?? '';
            } catch {
              title = text.slice(0, 60);
            }
            reject(new Error(`HTTP ${status} ${title}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    name: 'http',
    baselineName: '`GET` of an unknown route (404 from the API, no database)',
    async execute(step) {
      const { method, path, body } = httpRequestOf(step);
      await send(method, path, body, credential);
    },
    async baseline() {
      await send('GET', '/bench-baseline-unknown-route').catch((error: Error) => {
        if (!error.message.startsWith('HTTP 404')) throw error;
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
