import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { secretOf } from '../clients/common';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { createGatewayClient } from './http-client';
import type { PaymentGateway } from './port';

type GatewayConfig = Pick<
  Config,
  'paymentGatewayUrl' | 'paymentGatewayKey' | 'paymentGatewayKeyFile' | 'paymentGatewayTimeoutMs'
>;

/** The gateway's API key from the settings; throws 'config.invalid' when there is none. */
export function gatewayKeyOf(config: GatewayConfig): string {
  const key = secretOf(config.paymentGatewayKey, config.paymentGatewayKeyFile);
  if (key === '') {
    throw new TributaryError(
      'config.invalid',
      `no payment gateway key: set PAYMENT_GATEWAY_KEY, or PAYMENT_GATEWAY_KEY_FILE to a file holding it (${config.paymentGatewayKeyFile} does not exist; \`tributary gateway\` creates it for the fake gateway)`,
    );
  }
  return key;
}

/** The gateway client the settings describe. */
export function gatewayFor(config: GatewayConfig): PaymentGateway {
  return createGatewayClient({
    url: config.paymentGatewayUrl,
    apiKey: gatewayKeyOf(config),
    timeoutMs: config.paymentGatewayTimeoutMs,
  });
}

/** The fake gateway's key: the configured one, else one made now and written to the key file (0600). */
export function ensureFakeGatewayKey(config: GatewayConfig): string {
  const existing = secretOf(config.paymentGatewayKey, config.paymentGatewayKeyFile);
  if (existing !== '') return existing;
  const key = randomBytes(24).toString('base64url');
  mkdirSync(dirname(config.paymentGatewayKeyFile), { recursive: true, mode: 0o700 });
  writeFileSync(config.paymentGatewayKeyFile, `${key}\n`, { mode: 0o600 });
  return key;
}
