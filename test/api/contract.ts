import type { FastifyInstance } from 'fastify';
import type { OrderService } from '../../src/commands/types';
import { buildApp } from '../../src/api/app';
import { DOCS_PATH } from '../../src/api/docs';
import { startServer } from '../../src/api/server';
import { TestIssuer } from '../fixtures/auth';
import { ApiClient } from './client';
import { commandContract } from './contract-commands';
import { concurrencyContract } from './contract-concurrency';
import { invalidRequestContract } from './contract-invalid';
import { paymentContract } from './contract-payments';
import { queryContract } from './contract-queries';

/**
 * The behaviour of the HTTP API as a client sees it, written once and run against any OrderService:
 * the in-memory fake in the unit tests, the PostgreSQL service in an integration test:
 *
 *   describeOrderApiContract(async () => createOrderService(...));
 *
 * The app listens on a free loopback port. Tests use fresh random ids and idempotency keys, so they can share
 * one service and run repeatedly.
 */

/** Makes the service under test; called once, before the contract's tests. */
export type OrderServiceFactory = () => OrderService | Promise<OrderService>;

/** The body limit of the app under test: small, so the 413 test sends little. */
export const CONTRACT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * A clock one second further on at every reading, so that consecutive commands have distinct business
 * times and as-of queries can tell them apart.
 */
export function steppingClock(start = Date.now()): () => Date {
  let next = Math.floor(start / 1000) * 1000;
  return () => {
    next += 1000;
    return new Date(next);
  };
}

export function describeOrderApiContract(makeService: OrderServiceFactory): void {
  describe('order API contract', () => {
    let app: FastifyInstance | undefined;
    let baseUrl: string | undefined;
    // Every request as an admin, who may do everything: the contract is about HTTP, src/auth about who may.
    const issuer = new TestIssuer();
    const client = new ApiClient(() => {
      if (baseUrl === undefined) throw new Error('the contract app is not listening yet');
      return baseUrl;
    }, issuer.headersFor('admin'));

    beforeAll(async () => {
      const service = await makeService();
      // No Swagger UI: Jest cannot load its static-file server (see docs.ts); docs.unit.spec.ts checks it.
      app = buildApp({
        service,
        authenticator: issuer.authenticator(),
        bodyLimitBytes: CONTRACT_BODY_LIMIT_BYTES,
        clock: steppingClock(),
        swaggerUi: false,
      });
      baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
    });

    afterAll(async () => {
      await app?.close();
    });

    describe('commands', () => commandContract(client));
    describe('optimistic concurrency and idempotency', () => concurrencyContract(client));
    describe('invalid requests', () => invalidRequestContract(client, CONTRACT_BODY_LIMIT_BYTES));
    describe('queries', () => queryContract(client));
    describe('payments', () => paymentContract(client));

    it(`${DOCS_PATH}/json serves the OpenAPI document listing every route`, async () => {
      const response = await client.get(`${DOCS_PATH}/json`);
      expect(response.statusCode).toBe(200);
      const document = response.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
      expect(document.openapi).toMatch(/^3\./);
      const routes = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /orders',
          'POST /orders/{id}/lines',
          'DELETE /orders/{id}/lines/{sku}',
          'POST /orders/{id}/confirm',
          'POST /orders/{id}/cancel',
          'POST /orders/{id}/payments',
          'POST /payments/{id}/refunds',
          'GET /orders/{id}',
          'GET /orders/{id}/history',
        ]),
      );
    });
  });
}
