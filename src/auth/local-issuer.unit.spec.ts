import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createJwtVerifier } from './jwt';
import { ensureLocalKeys, mintLocalToken, parseTtl, type TokenRequest } from './local-issuer';
import type { Principal } from './principal';
import { createExpiringCache } from './token-cache';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'tributary-issuer-')), 'auth');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const request: TokenRequest = {
  sub: 'dev-1',
  roles: ['admin'],
  ttlS: 3600,
  issuer: 'tributary-local',
  audience: 'tributary-api',
  rolesClaim: 'roles',
  customerClaim: 'customer_id',
};

const verifierOf = (jwks: string) =>
  createJwtVerifier({
    jwks,
    issuer: 'tributary-local',
    audience: 'tributary-api',
    clockSkewS: 0,
    rolesClaim: 'roles',
    customerClaim: 'customer_id',
    cache: createExpiringCache<Principal>({ maxEntries: 0, maxAgeMs: 0 }),
  });

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the local issuer', () => {
  it('creates an ES256 key pair: the folder 0700, the private key 0600, the JWKS public only', async () => {
    const keys = await ensureLocalKeys(dir);
    expect(keys.created).toBe(true);
    expect(mode(dir)).toBe(0o700);
    expect(mode(keys.signingKeyPath)).toBe(0o600);
    const jwks = JSON.parse(readFileSync(keys.jwksPath, 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toEqual(
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: keys.kid }),
    );
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('keeps existing keys when run again', async () => {
    const first = await ensureLocalKeys(dir);
    const again = await ensureLocalKeys(dir);
    expect(again).toEqual({ ...first, created: false });
  });

  it('mints tokens the API verifies against its JWKS file, with the claims asked for', async () => {
    const { jwksPath, kid } = await ensureLocalKeys(dir);
    const token = await mintLocalToken(dir, {
      ...request,
      sub: 'c-user',
      roles: ['customer'],
      customerId: 'c-1',
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid });
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(3600);
    await expect(verifierOf(jwksPath).verify(token)).resolves.toEqual({
      id: 'c-user',
      kind: 'user',
      roles: ['customer'],
      customerId: 'c-1',
    });
  });

  it('nests claims named by a dotted path, as the API reads them', async () => {
    await ensureLocalKeys(dir);
    const token = await mintLocalToken(dir, { ...request, rolesClaim: 'realm_access.roles' });
    expect(decodeJwt(token)).toEqual(expect.objectContaining({ realm_access: { roles: ['admin'] } }));
  });

  it('--rotate signs with a new key; tokens of the previous key stay valid, and the API sees it without a restart', async () => {
    const first = await ensureLocalKeys(dir);
    const verifier = verifierOf(first.jwksPath);
    const before = await mintLocalToken(dir, request);
    await expect(verifier.verify(before)).resolves.toBeDefined();
    const rotated = await ensureLocalKeys(dir, { rotate: true });
    expect(rotated.kid).not.toBe(first.kid);
    const after = await mintLocalToken(dir, request);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the JWKS file is checked once a second
    await expect(verifier.verify(after)).resolves.toBeDefined();
    await expect(verifier.verify(before)).resolves.toBeDefined();
    const kids = (JSON.parse(readFileSync(first.jwksPath, 'utf8')) as { keys: { kid: string }[] }).keys;
    expect(kids.map((key) => key.kid)).toEqual([rotated.kid, first.kid]);
  });

  it('minting without keys says to run `auth keys` first', async () => {
    await expect(mintLocalToken(dir, request)).rejects.toThrow(/run `tributary auth keys` first/);
  });

  it('a missing JWKS file stops the verifier at start-up with a readable message', () => {
    expect(() => verifierOf(join(dir, 'nope.json'))).toThrow(
      /AUTH_JWKS: cannot read .* run `tributary auth keys`/,
    );
  });
});

describe('--ttl', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    ['120', 120],
  ])('%s is %d seconds', (text, seconds) => expect(parseTtl(text)).toBe(seconds));

  it.each(['0', '8d', '1y', '-1h', 'soon', ''])('%j is refused', (text) => {
    expect(() => parseTtl(text)).toThrow(/--ttl must be like/);
  });
});
