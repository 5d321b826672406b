import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, ensureLocalKeys, mintLocalToken } from '../../src/auth';
import type { Executor } from '../../src/db/executor';

/**
 * Authentication for the command bench: the API server of a phase runs with AUTH_MODE `off`, `jwt` (one
 * bearer token of a local issuer made for the run, as a client would reuse its access token) or `apikey`
 * (one key in the bench database). All three as admin, so no command pays for a customer's ownership check.
 */

export const BENCH_AUTH_MODES = ['off', 'jwt', 'apikey'] as const;
export type BenchAuthMode = (typeof BENCH_AUTH_MODES)[number];

export interface BenchAuth {
  /** The API server's settings for `mode`. */
  env(mode: BenchAuthMode): Record<string, string>;
  /** The headers a client sends in `mode`. */
  headers(mode: BenchAuthMode): Record<string, string>;
  /** Removes the run's issuer keys. */
  close(): void;
}

const ISSUER = 'tributary-bench';
const AUDIENCE = 'tributary-api';

export async function prepareBenchAuth(
  executor: Executor,
  modes: readonly BenchAuthMode[],
): Promise<BenchAuth> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-bench-auth-'));
  const dir = join(root, 'auth');
  const keys = await ensureLocalKeys(dir);
  const token = await mintLocalToken(dir, {
    sub: 'bench-client',
    roles: ['admin'],
    ttlS: 86_400,
    issuer: ISSUER,
    audience: AUDIENCE,
    rolesClaim: 'roles',
    customerClaim: 'customer_id',
  });
  const apiKey = modes.includes('apikey')
    ? (await createApiKey(executor, { clientId: 'bench-client', roles: ['admin'] })).key
    : '';
  return {
    env: (mode): Record<string, string> =>
      mode === 'off'
        ? { AUTH_MODE: 'off', AUTH_ALLOW_OFF: 'true' }
        : {
            AUTH_MODE: mode,
            AUTH_LOCAL_DIR: dir,
            AUTH_JWKS: keys.jwksPath,
            AUTH_ISSUER: ISSUER,
            AUTH_AUDIENCE: AUDIENCE,
          },
    headers: (mode): Record<string, string> =>
      mode === 'jwt'
        ? { authorization: `Bearer ${token}` }
        : mode === 'apikey'
          ? { 'x-api-key': apiKey }
          : {},
    close: () => rmSync(root, { recursive: true, force: true }),
  };
}
