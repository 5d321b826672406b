import type { Config } from '../config';
import { TributaryError } from '../errors';
import { ensureFakeGatewayKey, type Outcome } from '../gateway';
import type { Component } from './processes';
import { waitUntil } from './wait';

/**
 * The demo's payment gateway: the fake one (`tributary gateway`) on PAYMENT_GATEWAY_URL. It captures the
 * tour's first order and declines the second (forced per order), then declines a small share of the
 * workload's captures. Its API key is the configured one (PAYMENT_GATEWAY_KEY or its file), else one made now
 * and written to PAYMENT_GATEWAY_KEY_FILE; the gateway and the saga both get it as PAYMENT_GATEWAY_KEY.
 * The demo itself calls the gateway's knobs to force the outcome of the tour's orders.
 */

/** Share of captures the demo's gateway declines. */
export const DEMO_DECLINE_RATE = 0.05;

export interface DemoGateway {
  url: string;
  key: string;
}

type GatewayConfig = Pick<
  Config,
  'paymentGatewayUrl' | 'paymentGatewayKey' | 'paymentGatewayKeyFile' | 'paymentGatewayTimeoutMs'
>;

export function demoGateway(config: GatewayConfig): DemoGateway {
  return { url: config.paymentGatewayUrl.replace(/\/$/, ''), key: ensureFakeGatewayKey(config) };
}

/** The settings the gateway and the saga share. */
export function gatewayEnv(gateway: DemoGateway): Record<string, string> {
  return { PAYMENT_GATEWAY_URL: gateway.url, PAYMENT_GATEWAY_KEY: gateway.key };
}

/** The command line of the demo's gateway: no random declines until the tour's orders are through. */
export const gatewayArgs = (): string[] => ['gateway'];

async function call(gateway: DemoGateway, method: 'GET' | 'PUT', path: string, body?: unknown) {
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${gateway.key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
}

/**
 * Ready when it says it listens and answers its stats to the demo's key. It is not asked before it says so:
 * a connection to a port nobody listens on can take that very port as its own (its ephemeral source port),
 * and the gateway could then not listen.
 */
export async function waitForGateway(
  gateway: DemoGateway,
  component: Component,
  signal: AbortSignal,
): Promise<void> {
  await waitUntil(
    `the payment gateway to answer at ${gateway.url} (${component.logFile})`,
    async () =>
      component.loggedStartingWith('fake payment gateway on ') !== undefined &&
      (await call(gateway, 'GET', '/stats').catch(() => undefined))?.status === 200,
    { signal, timeoutMs: 120_000, everyMs: 200 },
  );
}

/**
 * Sets the gateway's knobs: `byOrder` forces the outcome of these orders' captures, `declineRate` the share
 * of the other captures it declines.
 */
export async function setFaults(
  gateway: DemoGateway,
  faults: { byOrder?: Record<string, Outcome>; declineRate?: number },
): Promise<void> {
  const answer = await call(gateway, 'PUT', '/faults', faults);
  if (answer.status !== 200) {
    throw new TributaryError('internal', `the payment gateway answered PUT /faults with ${answer.status}`);
  }
}

/** What the gateway did so far: captures, declines, refunds. */
export async function gatewayStats(gateway: DemoGateway): Promise<Record<string, number>> {
  const answer = await call(gateway, 'GET', '/stats');
  if (answer.status !== 200) {
    throw new TributaryError('internal', `the payment gateway answered GET /stats with ${answer.status}`);
  }
  return (await answer.json()) as Record<string, number>;
}
