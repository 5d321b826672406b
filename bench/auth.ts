import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  apiKeyPrincipal,
  createAuthenticator,
  createExpiringCache,
  createJwtVerifier,
  type ApiKeyVerifier,
  type Principal,
} from '../src/auth';
import { loadConfig } from '../src/config';
import { collectFacts, factsMarkdown } from './lib/facts';
import { table } from './lib/markdown';
import { numberOption } from './lib/options';

/**
 * What authentication costs per request, in CPU of the API process: verifying a bearer token's signature
 * (RS256, ES256, EdDSA) when the token is new, and the request path when it is remembered (hash, cache
 * lookup) — a client reuses its access token for many requests. No network, no database: the API key
 * verifier here answers from memory like a warm cache does. Compare with the ~0.8 ms of CPU a whole command
 * costs (bench/commands.ts), which is what the < 10 % target of issue 17 is relative to.
 *
 *   npx tsx bench/auth.ts [--iterations=20000]
 */

const iterations = numberOption('iterations', 'BENCH_ITERATIONS', 20_000);
const ISSUER = 'bench-issuer';
const AUDIENCE = 'tributary-api';

async function tokenAndKeys(alg: 'RS256' | 'ES256' | 'EdDSA') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: alg, alg };
  const sign = (sub: string) =>
    new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg, kid: alg })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setExpirationTime('1h')
      .sign(privateKey);
  return { jwks: createLocalJWKSet({ keys: [jwk] }), sign };
}

/** CPU microseconds per call of `run`, over `count` calls made one after the other. */
async function cpuMicros(count: number, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, count); i++) await run(i); // warm the JIT
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await run(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const { jwks, sign } = await tokenAndKeys(alg);
    const options = {
      issuer: ISSUER,
      audience: AUDIENCE,
      clockSkewS: 30,
      rolesClaim: 'roles',
      customerClaim: 'c',
    };
    const uncached = createJwtVerifier({
      ...options,
      jwks,
      cache: createExpiringCache<Principal>({ maxEntries: 0, maxAgeMs: 0 }),
    });
    const cached = createJwtVerifier({
      ...options,
      jwks,
      cache: createExpiringCache<Principal>({ maxEntries: 10_000, maxAgeMs: 300_000 }),
    });
    const token = await sign('bench-user');
    const fresh = await cpuMicros(Math.min(iterations, 5_000), () => uncached.verify(token));
    const hit = await cpuMicros(iterations, () => cached.verify(token));
    rows.push([`bearer ${alg}`, fresh.toFixed(1), hit.toFixed(2)]);
  }
  const key = `trb_0123456789ab_${'k'.repeat(43)}`;
  const keys: ApiKeyVerifier = {
    verify: async () => apiKeyPrincipal({ clientId: 'bench', roles: ['admin'], customerId: null }),
  };
  const { jwks, sign } = await tokenAndKeys('ES256');
  const jwt = createJwtVerifier({
    jwks,
    issuer: ISSUER,
    audience: AUDIENCE,
    clockSkewS: 30,
    rolesClaim: 'roles',
    customerClaim: 'c',
    cache: createExpiringCache<Principal>({ maxEntries: 10_000, maxAgeMs: 300_000 }),
  });
  const authenticator = createAuthenticator({ mode: 'both', jwt, apiKeys: keys });
  const headers = { authorization: `Bearer ${await sign('bench-user')}` };
  const request = await cpuMicros(iterations, () => authenticator.authenticate(headers));
  const apiKey = await cpuMicros(iterations, () => authenticator.authenticate({ 'x-api-key': key }));
  rows.push(['request path, bearer ES256 remembered (header parsing + cache)', '–', request.toFixed(2)]);
  rows.push(['request path, API key (header parsing, key verifier in memory)', '–', apiKey.toFixed(2)]);
  const facts = factsMarkdown(await collectFacts(loadConfig(process.env)));
  process.stdout.write(
    [
      `### Authentication CPU per request (\`npx tsx bench/auth.ts\`, ${iterations} iterations)`,
      '',
      facts,
      '',
      table(['credential', 'µs of CPU, verified (new token)', 'µs of CPU, remembered'], rows),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
