import { join, resolve } from 'node:path';
import type { Config } from '../config';
import type { Executor } from '../db/executor';
import { createApiKeyVerifier } from './api-keys';
import { anonymousAuthenticator, createAuthenticator, type Authenticator } from './authenticator';
import { createJwtVerifier } from './jwt';
import { ensureLocalKeys, JWKS_FILE, type LocalKeys } from './local-issuer';
import type { Principal } from './principal';
import type { ApiKeyRecord } from './sql/api-key-row';
import { createExpiringCache } from './token-cache';

type AuthConfig = Pick<
  Config,
  | 'authMode'
  | 'authJwks'
  | 'authIssuer'
  | 'authAudience'
  | 'authClockSkewS'
  | 'authRolesClaim'
  | 'authCustomerClaim'
  | 'authTokenCacheSize'
  | 'authTokenCacheMaxS'
  | 'authApiKeyCacheMs'
>;

/**
 * The authenticator the settings describe. API keys are looked up through `executor` (the API's pool). With
 * AUTH_MODE=off (which config only allows with AUTH_ALLOW_OFF=true), `warn` is told at every start.
 */
export function authenticatorFor(
  config: AuthConfig,
  executor: Executor,
  warn: (message: string) => void,
): Authenticator {
  if (config.authMode === 'off') {
    warn(
      'AUTH_MODE=off: authentication is OFF — every request is an anonymous admin. Never expose this API.',
    );
    return anonymousAuthenticator();
  }
  const jwt =
    config.authMode === 'apikey'
      ? undefined
      : createJwtVerifier({
          jwks: config.authJwks,
          issuer: config.authIssuer,
          audience: config.authAudience,
          clockSkewS: config.authClockSkewS,
          rolesClaim: config.authRolesClaim,
          customerClaim: config.authCustomerClaim,
          cache: createExpiringCache<Principal>({
            maxEntries: config.authTokenCacheSize,
            maxAgeMs: config.authTokenCacheMaxS * 1000,
          }),
        });
  const apiKeys =
    config.authMode === 'jwt'
      ? undefined
      : createApiKeyVerifier({
          executor,
          cacheMs: config.authApiKeyCacheMs,
          cache: createExpiringCache<ApiKeyRecord | null>({
            maxEntries: config.authTokenCacheSize,
            maxAgeMs: config.authApiKeyCacheMs,
          }),
        });
  return createAuthenticator({ mode: config.authMode, jwt, apiKeys });
}

/**
 * For the development entry points (`start`, `demo`): when bearer tokens are verified against the local
 * issuer's JWKS (the default), makes its keys if they do not exist yet, so a fresh clone works with
 * authentication on. Undefined when the API uses another issuer (or no tokens).
 */
export async function ensureLocalIssuerFor(
  config: Pick<Config, 'authMode' | 'authJwks' | 'authLocalDir'>,
): Promise<LocalKeys | undefined> {
  if (config.authMode !== 'jwt' && config.authMode !== 'both') return undefined;
  if (resolve(config.authJwks) !== resolve(join(config.authLocalDir, JWKS_FILE))) return undefined;
  return ensureLocalKeys(config.authLocalDir);
}
