import { Client as ElasticClient } from '@elastic/elasticsearch';
import { Pool } from 'pg';
import { buildApp, startServer, type BuildAppOptions } from '../api';
import { readFulfilment } from '../saga';
import { authenticatorFor, ensureLocalIssuerFor } from '../auth';
import {
  createEventStoreFor,
  createInventoryService,
  createOrderService,
  handlerSettingsOf,
  startKeyCleanup,
} from '../commands';
import type { Config } from '../config';
import { pgExecutor } from '../db/executor';
import { createPool } from '../db/pool';
import { createLogger } from '../observability';
import { createReportQueries } from '../projections/reporting';
import { readFreshness } from '../projections/runtime';
import { ensureOrdersIndex, searchOrders } from '../projections/search';
import { databaseUrlFor } from './database';
import { contractsFor } from './schemas';
import { elasticsearchClient } from '../clients';

/**
 * Runs the HTTP API until SIGINT/SIGTERM, as the API's role (API_DATABASE_URL). The schema, the relay's slot
 * and the topics come from `tributary setup`, which runs first: the API creates nothing in PostgreSQL. On a
 * signal it stops taking requests, finishes those in flight, closes the pool, and resolves.
 */
export async function serve(config: Config, say: (line: string) => void): Promise<void> {
  const logger = createLogger(config, 'api');
  const pool = createPool(
    databaseUrlFor(config, 'api', logger),
    config.pgPoolSize,
    (error) => logger.warn({ err: error.message }, 'a PostgreSQL connection failed; it will be replaced'),
    { statementTimeoutMs: config.apiStatementTimeoutMs },
  );
  const store = createEventStoreFor(config, pool);
  const service = createOrderService(config, store);
  // Tokens verified against the local development issuer (the default): its keys are made on a fresh clone.
  const localKeys = await ensureLocalIssuerFor(config);
  if (localKeys?.created)
    say(`auth: created the local issuer's key in ${config.authLocalDir} (tributary auth token)`);
  const es = elasticsearchClient(config);
  // The API serves commands without Elasticsearch; search answers once the index exists (the search
  // projector creates it too, and sets SEARCH_REFRESH_INTERVAL_MS when it starts). Settings of an existing
  // index are the projector's to change: an API whose credential may only read it (docs/security.md) just
  // checks that it is there.
  await ensureOrdersIndex(es, config.indexPrefix).catch((error: Error) =>
    logger.warn({ err: error.message }, 'search index not ready; /search answers once Elasticsearch is'),
  );
  const app = buildApp({
    service,
    inventory: createInventoryService(handlerSettingsOf(config, store)),
    fulfilment: (orderId) => readFulfilment(pgExecutor(pool), orderId),
    authenticator: authenticatorFor(config, pgExecutor(pool), (message) => logger.warn(message)),
    logger,
    bodyLimitBytes: config.httpBodyLimitBytes,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    readModels: readModelsFor(config, pool, es),
    rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs },
    contracts: contractsFor(config),
  });
  const cleanup = startKeyCleanup(pgExecutor(pool), {
    ttlMs: config.idempotencyKeyTtlMs,
    intervalMs: config.idempotencyCleanupIntervalMs,
    onDeleted: (count) => logger.info({ count }, 'deleted expired idempotency keys'),
    onError: (error) =>
      logger.warn({ err: error }, 'deleting expired idempotency keys failed; next run retries'),
  });
  const address = await startServer(app, { host: config.httpHost, port: config.httpPort });
  say(`API listening on ${address} — OpenAPI at ${address}/docs; Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('stopping the API');
  await app.close();
  await cleanup.stop();
  await pool.end();
  await es.close();
}

/** The search and report queries of the API, with each read model's freshness, as `serve` wires them. */
export function readModelsFor(
  config: Pick<Config, 'indexPrefix'>,
  pool: Pool,
  es: ElasticClient,
): NonNullable<BuildAppOptions['readModels']> {
  const executor = pgExecutor(pool);
  return {
    search: {
      search: (params) => searchOrders(es, config.indexPrefix, params),
      freshness: () => readFreshness(executor, 'search'),
    },
    reports: {
      reports: createReportQueries(pool),
      freshness: () => readFreshness(executor, 'reporting'),
    },
  };
}
