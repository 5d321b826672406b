import { readFileSync, statSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as jose,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { TributaryError } from '../errors';
import { isRole, unauthenticated, type Principal, type Role } from './principal';
import type { ExpiringCache } from './token-cache';

/**
 * Bearer tokens: JWTs signed by an OAuth 2.0 / OIDC issuer, verified with `jose` against the issuer's JWKS
 * (a URL, or a file for the local issuer), with issuer, audience, expiry and not-before checked. Only
 * asymmetric algorithms are accepted: `alg: none` and HMAC (which would let anyone holding the public key
 * sign) are refused by the allow-list before any key is looked at.
 */

/** The signature algorithms a token may use. */
export const JWT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

export interface JwtVerifierOptions {
  /** An http(s) URL of a JWKS, the path of a JWKS file, or the keys themselves (tests). */
  jwks: string | JWTVerifyGetKey;
  issuer: string;
  audience: string;
  clockSkewS: number;
  /** Claim (dotted path) with the roles: an array, or a space-separated string. */
  rolesClaim: string;
  /** Claim (dotted path) with the customer id of a `customer` token. */
  customerClaim: string;
  /** Verified tokens by their hash; their principal is reused until the token expires. */
  cache: ExpiringCache<Principal>;
}

export interface JwtVerifier {
  /** The principal of a token; throws `auth.unauthenticated` (401) or `auth.forbidden` (403). */
  verify(token: string): Promise<Principal>;
}

const isUrl = (source: string) => /^https?:\/\//i.test(source);

/**
 * The keys of a JWKS file, read again when the file changes (checked at most once a second), so
 * `tributary auth keys --rotate` needs no restart. A missing or broken file fails at start-up; later, the
 * last good keys stay in use.
 */
export function jwksFromFile(path: string): JWTVerifyGetKey {
  const read = () => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new TributaryError(
        'config.invalid',
        `AUTH_JWKS: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
          'run `tributary auth keys` for the local issuer, or set AUTH_JWKS to your issuer’s JWKS URL',
      );
    }
    try {
      return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
    } catch (error) {
      throw new TributaryError('config.invalid', `AUTH_JWKS: ${path} is not a JWKS: ${String(error)}`);
    }
  };
  let keys = read();
  let mtimeMs = statSync(path).mtimeMs;
  let checkedAt = Date.now();
  return (header, token) => {
    if (Date.now() - checkedAt >= 1000) {
      checkedAt = Date.now();
      try {
        const now = statSync(path).mtimeMs;
        if (now !== mtimeMs) [keys, mtimeMs] = [read(), now];
      } catch {
        // keep the keys we have: a file being rewritten must not lock everybody out
      }
    }
    return keys(header, token);
  };
}

/** The JWKS of `source`: fetched (and cached by jose) from a URL, or read from a file. */
export function jwksOf(source: string): JWTVerifyGetKey {
  return isUrl(source)
    ? createRemoteJWKSet(new URL(source), { timeoutDuration: 5_000, cooldownDuration: 30_000 })
    : jwksFromFile(source);
}

/**
 * The claim named `path` when the token has one of that exact name (namespaced claims such as
 * `https://shop.example/roles` contain dots), else the value at the dotted path (`realm_access.roles`).
 */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  return path
    .split('.')
    .reduce<unknown>((value, name) => (value as Record<string, unknown> | undefined)?.[name], payload);
}

/** The roles a claim value names (unknown names are ignored: an IdP's tokens carry roles of other apps). */
export function rolesOf(value: unknown): Role[] {
  const names = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
  return [...new Set(names.filter(isRole))];
}

/** What a jose failure tells the client (RFC 6750 `invalid_token`, in words). */
function reasonOf(error: unknown): TributaryError {
  if (error instanceof jose.JWTExpired) return unauthenticated('The bearer token has expired.');
  if (error instanceof jose.JWTClaimValidationFailed) {
    const what: Record<string, string> = {
      iss: 'is not from the expected issuer (iss)',
      aud: 'is not meant for this API (aud)',
      nbf: 'is not valid yet (nbf)',
    };
    const reason = what[error.claim] ?? `has an unusable "${error.claim}" claim (${error.reason})`;
    return unauthenticated(`The bearer token ${reason}.`);
  }
  if (error instanceof jose.JOSEAlgNotAllowed || error instanceof jose.JOSENotSupported) {
    return unauthenticated(`The bearer token is not signed with one of ${JWT_ALGORITHMS.join(', ')}.`);
  }
  if (error instanceof jose.JWSSignatureVerificationFailed) {
    return unauthenticated('The bearer token’s signature is not valid.');
  }
  if (error instanceof jose.JWKSNoMatchingKey) {
    return unauthenticated('The bearer token is signed with a key the issuer’s JWKS does not have.');
  }
  if (error instanceof jose.JWKSTimeout) {
    return new TributaryError('infra.unavailable', 'The issuer’s JWKS did not answer in time.', {
      cause: error,
      retriable: true,
    });
  }
  if (error instanceof jose.JOSEError) return unauthenticated('The bearer token is malformed.');
  throw error; // configuration or network trouble: not the client's fault
}

/** The principal a verified token names. */
export function principalOfClaims(
  payload: JWTPayload,
  { rolesClaim, customerClaim }: Pick<JwtVerifierOptions, 'rolesClaim' | 'customerClaim'>,
): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 200) {
    throw unauthenticated('The bearer token has no usable subject (sub).');
  }
  const roles = rolesOf(claimAt(payload, rolesClaim));
  if (roles.length === 0) {
    throw new TributaryError(
      'auth.forbidden',
      `The bearer token names no role of this API in "${rolesClaim}".`,
    );
  }
  const customerId = claimAt(payload, customerClaim);
  if (!roles.includes('customer')) return { id: payload.sub, kind: 'user', roles };
  if (typeof customerId !== 'string' || customerId === '') {
    throw new TributaryError(
      'auth.forbidden',
      `A customer token needs the customer id in "${customerClaim}".`,
    );
  }
  return { id: payload.sub, kind: 'user', roles, customerId };
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const keys = typeof options.jwks === 'string' ? jwksOf(options.jwks) : options.jwks;
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [...JWT_ALGORITHMS],
    clockTolerance: options.clockSkewS,
    // A token without an expiry would be good forever (and could not be cached until it expires).
    requiredClaims: ['exp', 'sub'],
  };
  return {
    async verify(token) {
      const cached = options.cache.get(token);
      if (cached !== undefined) return cached;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, verifyOptions));
      } catch (error) {
        throw reasonOf(error);
      }
      const principal = principalOfClaims(payload, options);
      options.cache.set(token, principal, (payload.exp ?? 0) * 1000);
      return principal;
    },
  };
}
