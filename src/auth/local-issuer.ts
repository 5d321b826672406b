import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { TributaryError } from '../errors';
import type { Role } from './principal';

/**
 * A token issuer for development, the demo and tests: an ES256 key pair in a folder (by default
 * `<STACK_DIR>/auth`), its public half as `jwks.json` (what AUTH_JWKS points at by default), and tokens
 * signed with the configured issuer and audience. Production uses a real identity provider instead (see
 * docs/security.md); nothing in the API knows the difference.
 */

export const SIGNING_KEY_FILE = 'signing-key.json';
export const JWKS_FILE = 'jwks.json';
const ALG = 'ES256';

export interface LocalKeys {
  /** Key id (RFC 7638 thumbprint) of the signing key. */
  kid: string;
  /** True when this call made a new key (first run, or `rotate`). */
  created: boolean;
  jwksPath: string;
  signingKeyPath: string;
}

/** Writes through a temporary file, so a reader never sees half a key. */
function writeFileAtomic(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode); // the umask may have taken bits away
  renameSync(temporary, path);
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new TributaryError('config.invalid', `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The local issuer's key pair in `dir` (folder mode 0700, private key 0600), made when missing. Existing
 * keys are kept unless `rotate`: then a new key signs from now on, and the JWKS keeps the previous public
 * key too, so tokens signed before the rotation stay valid until they expire.
 */
export async function ensureLocalKeys(dir: string, { rotate = false } = {}): Promise<LocalKeys> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const signingKeyPath = join(dir, SIGNING_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);
  if (!rotate && existsSync(signingKeyPath) && existsSync(jwksPath)) {
    chmodSync(signingKeyPath, 0o600);
    return { kid: readJson<JWK>(signingKeyPath).kid ?? '', created: false, jwksPath, signingKeyPath };
  }
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const previous = existsSync(jwksPath)
    ? (readJson<JSONWebKeySet>(jwksPath).keys[0] ?? undefined)
    : undefined;
  const keys = [{ ...publicJwk, kid, alg: ALG, use: 'sig' }, ...(previous ? [previous] : [])];
  writeFileAtomic(signingKeyPath, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG }), 0o600);
  writeFileAtomic(jwksPath, `${JSON.stringify({ keys }, null, 2)}\n`, 0o644);
  return { kid, created: true, jwksPath, signingKeyPath };
}

export interface TokenRequest {
  sub: string;
  roles: readonly Role[];
  customerId?: string;
  ttlS: number;
  issuer: string;
  audience: string;
  /** Claim names (dotted paths nest), as the API reads them: AUTH_ROLES_CLAIM and AUTH_CUSTOMER_CLAIM. */
  rolesClaim: string;
  customerClaim: string;
}

/** `{a: {b: value}}` for the path `a.b`, merged into `claims`; a URI-named claim is one name. */
function setClaim(claims: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.includes('://') ? [path] : path.split('.');
  const last = names.pop()!;
  let at = claims;
  for (const name of names) at = (at[name] ??= {}) as Record<string, unknown>;
  at[last] = value;
}

/** A token of the local issuer in `dir` (whose keys must exist: `ensureLocalKeys`). */
export async function mintLocalToken(dir: string, request: TokenRequest): Promise<string> {
  const signingKeyPath = join(dir, SIGNING_KEY_FILE);
  if (!existsSync(signingKeyPath)) {
    throw new TributaryError(
      'input.invalid',
      `there is no local signing key in ${dir}: run \`tributary auth keys\` first`,
    );
  }
  const jwk = readJson<JWK>(signingKeyPath);
  const key = await importJWK(jwk, ALG);
  const claims: Record<string, unknown> = {};
  setClaim(claims, request.rolesClaim, [...request.roles]);
  if (request.customerId !== undefined) setClaim(claims, request.customerClaim, request.customerId);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlS)
    .setJti(randomUUID())
    .sign(key);
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Longest token the local issuer mints: a week. */
export const MAX_TTL_S = 7 * 86_400;

/** `90s`, `15m`, `1h`, `7d` (or plain seconds) as seconds; at most MAX_TTL_S. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * (TTL_UNITS[match[2] || 's'] ?? 1) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_S)) {
    throw new TributaryError(
      'input.invalid',
      `--ttl must be like 90s, 15m, 1h or 7d (at most 7d), got '${text}'`,
    );
  }
  return seconds;
}
