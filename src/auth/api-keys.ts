import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../db/executor';
import { TributaryError } from '../errors';
import { unauthenticated, type Principal, type Role } from './principal';
import type { ApiKeyRecord } from './sql/api-key-row';
import { findApiKey } from './sql/find-api-key';
import { insertApiKey } from './sql/insert-api-key';
import type { ExpiringCache } from './token-cache';

/**
 * Service API keys for machine clients (the demo's load generator, a partner's integration): `trb_` + a
 * 12-hex-digit prefix + `_` + 32 random bytes (base64url). The prefix finds the key and names it in lists;
 * only the SHA-256 of the whole key is stored, compared in constant time. A key's principal is
 * `apikey:<client id>`, so the events it causes name the client.
 */

const KEY_FORMAT = /^(trb_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface NewApiKey {
  /** The key to hand to the client: shown once, never stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/** The prefix of a well-formed key, else undefined. */
export function apiKeyPrefix(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** The principal an API key stands for. */
export function apiKeyPrincipal(record: Pick<ApiKeyRecord, 'clientId' | 'roles' | 'customerId'>): Principal {
  const base = { id: `apikey:${record.clientId}`, kind: 'service' as const, roles: record.roles };
  return record.customerId === null ? base : { ...base, customerId: record.customerId };
}

/** Checks what `auth api-key create` is given; a bad value is an `input.invalid` with one readable line. */
export function checkApiKeyRequest(clientId: string, roles: readonly Role[], customerId?: string): void {
  const problem = !CLIENT_ID.test(clientId)
    ? `--client must be 1–100 letters, digits, '.', '_', ':' or '-', got '${clientId}'`
    : roles.length === 0
      ? 'at least one --role is needed'
      : roles.includes('customer') && !customerId
        ? 'a key with the customer role needs --customer <id>: the customer it acts for'
        : !roles.includes('customer') && customerId
          ? '--customer goes only with --role customer'
          : undefined;
  if (problem !== undefined) throw new TributaryError('input.invalid', problem);
}

/** Creates and stores a new key; the returned `key` is the only copy. */
export async function createApiKey(
  executor: Executor,
  request: { clientId: string; roles: readonly Role[]; customerId?: string },
): Promise<NewApiKey> {
  checkApiKeyRequest(request.clientId, request.roles, request.customerId);
  const prefix = `trb_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  const record = await insertApiKey(executor, {
    id: randomUUID(),
    clientId: request.clientId,
    prefix,
    secretHash: hashApiKey(key),
    roles: [...new Set(request.roles)],
    customerId: request.customerId ?? null,
  });
  return { key, record };
}

export interface ApiKeyVerifierOptions {
  executor: Executor;
  /** Looked-up keys (found or not) by the key's hash, kept `cacheMs`: a revocation takes that long at most. */
  cache: ExpiringCache<ApiKeyRecord | null>;
  cacheMs: number;
}

export interface ApiKeyVerifier {
  /** The principal of a key; throws `auth.unauthenticated` (401) for an unknown, wrong or revoked key. */
  verify(key: string): Promise<Principal>;
}

export function createApiKeyVerifier({ executor, cache, cacheMs }: ApiKeyVerifierOptions): ApiKeyVerifier {
  const invalid = () => unauthenticated('The API key is not valid.');
  return {
    async verify(key) {
      const prefix = apiKeyPrefix(key);
      if (prefix === undefined) throw invalid();
      let record = cache.get(key);
      if (record === undefined) {
        const found = await findApiKey(executor, prefix);
        // Only the exact key is remembered: a guess at a prefix's secret never reads another key's entry.
        record = found !== undefined && timingSafeEqual(found.secretHash, hashApiKey(key)) ? found : null;
        cache.set(key, record, Date.now() + cacheMs);
      }
      if (record === null) throw invalid();
      if (record.revokedAt !== null) throw unauthenticated('The API key has been revoked.');
      return apiKeyPrincipal(record);
    },
  };
}
