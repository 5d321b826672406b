import type { IncomingHttpHeaders } from 'node:http';
import { TributaryError } from '../errors';
import type { ApiKeyVerifier } from './api-keys';
import type { JwtVerifier } from './jwt';
import { unauthenticated, type Principal } from './principal';

/**
 * From a request's headers to its principal. Credentials: `Authorization: Bearer <JWT>`, or an API key as
 * `Authorization: ApiKey <key>` or `X-API-Key: <key>`; which of them count is AUTH_MODE's choice.
 */

export type AuthMode = 'jwt' | 'apikey' | 'both' | 'off';

export interface Authenticator {
  readonly mode: AuthMode;
  /** The principal the headers' credential names; throws `auth.unauthenticated` (401) or `auth.forbidden`. */
  authenticate(headers: IncomingHttpHeaders): Promise<Principal>;
  /** The WWW-Authenticate challenges of a 401 (RFC 9110 §11.6.1, RFC 6750 §3). */
  challenges(invalid: boolean): string[];
}

/** Who "calls" when authentication is off: an admin with no name, as the events' actor says. */
export const ANONYMOUS: Principal = Object.freeze({
  id: 'anonymous',
  kind: 'user',
  roles: ['admin'] as const,
});

const REALM = 'realm="tributary"';

type Credential = { scheme: 'bearer' | 'apikey'; value: string };

/** The one credential of a request, undefined when it has none; 401 for a malformed or doubled one. */
export function credentialOf(headers: IncomingHttpHeaders): Credential | undefined {
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (authorization !== undefined && apiKey !== undefined) {
    throw unauthenticated('Send one credential: Authorization or X-API-Key, not both.');
  }
  if (typeof apiKey === 'string') return { scheme: 'apikey', value: apiKey.trim() };
  if (Array.isArray(apiKey)) throw unauthenticated('Send one X-API-Key header.');
  if (authorization === undefined) return undefined;
  const match = /^(\w+) +(\S+) *$/.exec(authorization);
  const scheme = match?.[1]?.toLowerCase();
  if (match === null || (scheme !== 'bearer' && scheme !== 'apikey')) {
    throw unauthenticated('The Authorization header must be "Bearer <token>" or "ApiKey <key>".');
  }
  return { scheme: scheme as Credential['scheme'], value: match[2]! };
}

export interface AuthenticatorParts {
  mode: Exclude<AuthMode, 'off'>;
  /** Needed for modes jwt and both. */
  jwt?: JwtVerifier;
  /** Needed for modes apikey and both. */
  apiKeys?: ApiKeyVerifier;
}

export function createAuthenticator({ mode, jwt, apiKeys }: AuthenticatorParts): Authenticator {
  const bearer = mode === 'jwt' || mode === 'both' ? jwt : undefined;
  const keys = mode === 'apikey' || mode === 'both' ? apiKeys : undefined;
  if ((mode !== 'apikey' && !bearer) || (mode !== 'jwt' && !keys)) {
    throw new TributaryError('internal', `AUTH_MODE=${mode} needs its verifiers`);
  }
  return {
    mode,
    async authenticate(headers) {
      const credential = credentialOf(headers);
      if (credential === undefined) {
        throw unauthenticated(
          `This request needs a credential: ${[bearer && 'Authorization: Bearer <token>', keys && 'X-API-Key: <key>'].filter(Boolean).join(' or ')}.`,
        );
      }
      if (credential.scheme === 'bearer') {
        if (!bearer) throw unauthenticated('This API does not accept bearer tokens; send an API key.');
        return bearer.verify(credential.value);
      }
      if (!keys) throw unauthenticated('This API does not accept API keys; send a bearer token.');
      return keys.verify(credential.value);
    },
    challenges(invalid) {
      const bearerChallenge = `Bearer ${REALM}${invalid ? ', error="invalid_token"' : ''}`;
      return [...(bearer ? [bearerChallenge] : []), ...(keys ? [`ApiKey ${REALM}`] : [])];
    },
  };
}

/** AUTH_MODE=off: every request is ANONYMOUS, whatever it sends. */
export function anonymousAuthenticator(): Authenticator {
  return { mode: 'off', authenticate: async () => ANONYMOUS, challenges: () => [] };
}
