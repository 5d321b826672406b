import { createApiKey, ensureLocalIssuerFor, mintLocalToken, revokeClientApiKeys } from '../auth';
import type { Config } from '../config';
import type { Executor } from '../db/executor';

/**
 * The demo's own credential: its load generator (and the tour) is a machine client of the API, so it gets a
 * service API key (its earlier keys revoked first), or, when the API takes bearer tokens only, a token of
 * the local issuer. Either way the events it causes name `apikey:tributary-demo` / `tributary-demo`.
 */

export const DEMO_CLIENT = 'tributary-demo';
const TOKEN_TTL_S = 12 * 3600;

export interface DemoCredential {
  /** Headers of every request the demo sends. */
  headers: Record<string, string>;
  /** One line for the start-up output. */
  description: string;
}

export async function demoCredential(config: Config, executor: Executor): Promise<DemoCredential> {
  // The API process starts after this: the local issuer's JWKS must exist by then.
  const keys = await ensureLocalIssuerFor(config);
  const created = keys?.created ? ` (created the local issuer's key in ${config.authLocalDir})` : '';
  switch (config.authMode) {
    case 'off':
      return { headers: {}, description: 'AUTH_MODE=off: no credential needed (never expose this API)' };
    case 'apikey':
    case 'both': {
      await revokeClientApiKeys(executor, DEMO_CLIENT);
      const { key, record } = await createApiKey(executor, { clientId: DEMO_CLIENT, roles: ['admin'] });
      return {
        headers: { 'x-api-key': key },
        description: `the workload sends API key ${record.prefix} (client ${DEMO_CLIENT}, role admin)${created}`,
      };
    }
    case 'jwt': {
      const token = await mintLocalToken(config.authLocalDir, {
        sub: DEMO_CLIENT,
        roles: ['admin'],
        ttlS: TOKEN_TTL_S,
        issuer: config.authIssuer,
        audience: config.authAudience,
        rolesClaim: config.authRolesClaim,
        customerClaim: config.authCustomerClaim,
      });
      return {
        headers: { authorization: `Bearer ${token}` },
        description: `the workload sends a bearer token of the local issuer (subject ${DEMO_CLIENT}, role admin)${created}`,
      };
    }
  }
}

/**
 * How a person gets a credential for curl, as the tour prints it: the command that makes one, and the
 * curl option that sends it (nothing when authentication is off).
 */
export function curlCredential(config: Pick<Config, 'authMode'>): { setup?: string; option: string } {
  switch (config.authMode) {
    case 'off':
      return { option: '' };
    case 'apikey':
      return {
        setup: 'KEY=$(npm run -s tributary -- auth api-key create --client me --role admin)',
        option: '-H "X-API-Key: $KEY" ',
      };
    default:
      return {
        setup: 'TOKEN=$(npm run -s tributary -- auth token --sub me --role admin)',
        option: '-H "Authorization: Bearer $TOKEN" ',
      };
  }
}
