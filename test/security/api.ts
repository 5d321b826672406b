import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildAppOptions } from '../../src/api/app';
import { readFulfilment } from '../../src/saga';
import { startServer } from '../../src/api/server';
import { ApiClient, expectProblem, type ApiResponse } from '../api/client';
import type { Problem } from '../../src/api/problem';
import {
  createApiKey,
  createApiKeyVerifier,
  createAuthenticator,
  createExpiringCache,
  type ApiKeyRecord,
  type Role,
} from '../../src/auth';
import { createInventoryService, createOrderService, handlerSettingsOf } from '../../src/commands';
import type { Config } from '../../src/config';
import { pgExecutor } from '../../src/db/executor';
import { TestIssuer } from '../fixtures/auth';
import type { StoreFixture } from '../fixtures/store';

/**
 * The API as `serve` runs it for the security tests: the PostgreSQL command side of the file's database,
 * bearer tokens of a test issuer and API keys from the real `api_keys` table (AUTH_MODE=both), on a free
 * loopback port. A client per credential; `storeCounts` to prove a refused command stored nothing.
 */
export interface SecuredApi {
  issuer: TestIssuer;
  app: FastifyInstance;
  baseUrl: string;
  /** A client sending `headers` (a credential, or none) with every request. */
  as(headers?: Record<string, string>): ApiClient;
  /** A client with a bearer token of `role` (customers: for `customerId`). */
  asRole(role: Role, customerId?: string): ApiClient;
  /** A new API key in the table; the key itself is only here. */
  newApiKey(
    clientId: string,
    roles: Role[],
    customerId?: string,
  ): Promise<{ key: string; record: ApiKeyRecord }>;
  close(): Promise<void>;
}

export async function startSecuredApi(
  fx: StoreFixture,
  {
    apiKeyCacheMs = 0,
    readModels,
    rateLimit,
    requestTimeoutMs,
    config = {},
  }: {
    apiKeyCacheMs?: number;
    readModels?: BuildAppOptions['readModels'];
    rateLimit?: BuildAppOptions['rateLimit'];
    requestTimeoutMs?: number;
    /** Settings of the command side that differ from the fixture's (e.g. a small MAX_EVENT_BYTES). */
    config?: Partial<Config>;
  } = {},
): Promise<SecuredApi> {
  const issuer = new TestIssuer();
  const executor = pgExecutor(fx.pool);
  const apiKeys = createApiKeyVerifier({
    executor,
    cacheMs: apiKeyCacheMs,
    cache: createExpiringCache({ maxEntries: 1000, maxAgeMs: apiKeyCacheMs }),
  });
  const app = buildApp({
    service: createOrderService({ ...fx.config, ...config }, fx.store),
    inventory: createInventoryService(handlerSettingsOf({ ...fx.config, ...config }, fx.store)),
    fulfilment: (orderId) => readFulfilment(executor, orderId),
    authenticator: createAuthenticator({ mode: 'both', jwt: issuer.verifier(), apiKeys }),
    swaggerUi: false,
    ...(readModels === undefined ? {} : { readModels }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
  const baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
  const as = (headers: Record<string, string> = {}) => new ApiClient(() => baseUrl, headers);
  return {
    issuer,
    app,
    baseUrl,
    as,
    asRole: (role, customerId) => as(issuer.headersFor(role, customerId)),
    newApiKey: (clientId, roles, customerId) =>
      createApiKey(executor, { clientId, roles, ...(customerId === undefined ? {} : { customerId }) }),
    close: () => app.close(),
  };
}

/** What the write side holds: a refused command must leave every number as it was. */
export async function storeCounts(fx: StoreFixture): Promise<Record<string, number>> {
  const { rows } = await fx.pool.query<Record<string, number>>(
    `select (select count(*) from events)::int as events, (select count(*) from outbox)::int as outbox,
            (select count(*) from streams)::int as streams, (select count(*) from idempotency_keys)::int as keys`,
  );
  return rows[0]!;
}

/** Asserts a 401: problem+json of type auth.unauthenticated, with a Bearer challenge. */
export function expectUnauthenticated(response: ApiResponse, detail?: RegExp): Problem {
  const problem = expectProblem(response, 401, '/problems/auth.unauthenticated');
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="tributary"/);
  if (detail !== undefined) expect(problem.detail).toMatch(detail);
  return problem;
}

/** Asserts a 403: problem+json of type auth.forbidden. */
export function expectForbidden(response: ApiResponse, detail?: RegExp): Problem {
  const problem = expectProblem(response, 403, '/problems/auth.forbidden');
  if (detail !== undefined) expect(problem.detail).toMatch(detail);
  return problem;
}
