import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { TestIssuer } from '../../test/fixtures/auth';
import { TributaryError } from '../errors';
import { claimAt, createJwtVerifier, principalOfClaims, rolesOf } from './jwt';
import type { Principal } from './principal';
import { createExpiringCache } from './token-cache';

const issuer = new TestIssuer();
const verifier = issuer.verifier();
const now = () => Math.floor(Date.now() / 1000);

/** The code and message a token is refused with. */
async function refusal(token: string): Promise<{ code: string; message: string }> {
  try {
    await verifier.verify(token);
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    return { code: (error as TributaryError).code, message: (error as Error).message };
  }
  throw new Error('the token was accepted');
}

describe('bearer token verification', () => {
  it('a token of the issuer, for this audience, in time, is the principal it names', async () => {
    const token = issuer.token({ claims: { sub: 'u-7', roles: ['finance', 'unknown-role'] } });
    await expect(verifier.verify(token)).resolves.toEqual({ id: 'u-7', kind: 'user', roles: ['finance'] });
  });

  it('a customer token carries its customer id', async () => {
    await expect(verifier.verify(issuer.tokenFor('customer', 'c-42'))).resolves.toEqual({
      id: 'user-c-42',
      kind: 'user',
      roles: ['customer'],
      customerId: 'c-42',
    });
  });

  it.each([
    ['expired', { exp: now() - 120 }, /has expired/],
    ['not yet valid', { nbf: now() + 600 }, /not valid yet \(nbf\)/],
    ['from another issuer', { iss: 'https://evil.example' }, /expected issuer \(iss\)/],
    ['for another audience', { aud: 'another-api' }, /not meant for this API \(aud\)/],
    ['without an expiry', { exp: undefined }, /"exp"/],
    ['without a subject', { sub: undefined }, /"sub"/],
  ])('a token %s is refused with 401', async (_what, claims, message) => {
    const { code, message: text } = await refusal(issuer.token({ claims }));
    expect(code).toBe('auth.unauthenticated');
    expect(text).toMatch(message);
  });

  it('a token within the clock skew of its expiry or not-before is still accepted', async () => {
    await expect(verifier.verify(issuer.token({ claims: { exp: now() - 10 } }))).resolves.toBeDefined();
    await expect(verifier.verify(issuer.token({ claims: { nbf: now() + 10 } }))).resolves.toBeDefined();
  });

  it('a token signed with another key is refused with 401', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { code, message } = await refusal(issuer.token({ signWith: { key: privateKey } }));
    expect(code).toBe('auth.unauthenticated');
    expect(message).toMatch(/signature is not valid/);
  });

  it('a token with a key id the JWKS does not have is refused with 401', async () => {
    const { code, message } = await refusal(issuer.token({ header: { kid: 'no-such-key' } }));
    expect(code).toBe('auth.unauthenticated');
    expect(message).toMatch(/key the issuer’s JWKS does not have/);
  });

  it('an unsigned token (alg: none) is refused with 401', async () => {
    const { code, message } = await refusal(issuer.token({ signWith: { none: true } }));
    expect(code).toBe('auth.unauthenticated');
    expect(message).toMatch(/not signed with one of RS256, ES256, EdDSA/);
  });

  it('an HMAC token "signed" with the public key (PEM or JWK) is refused with 401', async () => {
    const pem = issuer.publicKey.export({ format: 'pem', type: 'spki' });
    const jwk = JSON.stringify(issuer.jwks.keys[0]);
    for (const secret of [pem, jwk]) {
      const { code, message } = await refusal(issuer.token({ signWith: { hmacSecret: secret } }));
      expect(code).toBe('auth.unauthenticated');
      expect(message).toMatch(/not signed with one of/);
    }
  });

  it.each(['', 'abc', 'a.b.c', 'x'.repeat(50)])(
    'a malformed token (%j) is refused with 401',
    async (token) => {
      expect((await refusal(token)).code).toBe('auth.unauthenticated');
    },
  );

  it('a valid token naming no role of this API is refused with 403', async () => {
    const { code } = await refusal(issuer.token({ claims: { roles: ['viewer'] } }));
    expect(code).toBe('auth.forbidden');
  });

  it('a customer token without a customer id is refused with 403', async () => {
    const { code, message } = await refusal(issuer.token({ claims: { roles: ['customer'] } }));
    expect(code).toBe('auth.forbidden');
    expect(message).toMatch(/customer_id/);
  });

  it('verifies a token once, then answers from the cache until it expires', async () => {
    let lookups = 0;
    const keys = createLocalJWKSet(issuer.jwks);
    const counting: JWTVerifyGetKey = (header, token) => {
      lookups++;
      return keys(header, token);
    };
    const cached = createJwtVerifier({
      jwks: counting,
      issuer: issuer.issuer,
      audience: issuer.audience,
      clockSkewS: 0,
      rolesClaim: 'roles',
      customerClaim: 'customer_id',
      cache: createExpiringCache<Principal>({ maxEntries: 10, maxAgeMs: 60_000 }),
    });
    const token = issuer.tokenFor('support');
    for (let i = 0; i < 5; i++) await cached.verify(token);
    expect(lookups).toBe(1);
    // A failing token is never remembered: each attempt is verified (and refused) again.
    const expired = issuer.token({ claims: { exp: now() - 5 } });
    await expect(cached.verify(expired)).rejects.toThrow(/expired/);
    await expect(cached.verify(expired)).rejects.toThrow(/expired/);
    expect(lookups).toBe(3);
  });
});

describe('claims', () => {
  it('roles come as an array or a space-separated string, unknown names ignored', () => {
    expect(rolesOf(['admin', 'admin', 'x'])).toEqual(['admin']);
    expect(rolesOf('support finance')).toEqual(['support', 'finance']);
    expect(rolesOf(42)).toEqual([]);
  });

  it('a dotted claim path reaches into nested claims (e.g. Keycloak realm roles)', () => {
    const payload = { sub: 'kc-1', realm_access: { roles: ['offline_access', 'support'] } };
    expect(claimAt(payload, 'realm_access.roles')).toEqual(['offline_access', 'support']);
    expect(claimAt(payload, 'realm_access.missing.deeper')).toBeUndefined();
    // A namespaced claim (Auth0 style) is one name with dots in it.
    expect(claimAt({ 'https://shop.example/roles': ['admin'] }, 'https://shop.example/roles')).toEqual([
      'admin',
    ]);
    expect(principalOfClaims(payload, { rolesClaim: 'realm_access.roles', customerClaim: 'cid' })).toEqual({
      id: 'kc-1',
      kind: 'user',
      roles: ['support'],
    });
  });
});
