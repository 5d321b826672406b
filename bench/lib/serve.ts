import { authenticatorFor } from '../../src/auth';
import { loadConfig } from '../../src/config';
import { pgExecutor } from '../../src/db/executor';
import { createEventStoreFor, createOrderService } from '../../src/commands';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/observability';

/**
 * The HTTP API as the command-latency bench drives it: a separate process (so the load generator and the
 * server don't share an event loop), the app of src/api on 127.0.0.1 with a free port, the service on a pool
 * of PG_POOL_SIZE connections to DATABASE_URL, built as src/cli/serve.ts builds it (logger at LOG_LEVEL, which
 * the bench sets to `silent` unless told otherwise; authentication from AUTH_MODE, AUTH_JWKS, ...). Prints `{"address": ...}` once listening; stops when its
 * stdin closes (the bench ended, or died) or on SIGTERM.
 *
 *   DATABASE_URL=... node --import tsx bench/lib/serve.ts
 */

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Resolved at run time: the bench decides whether the API exists before starting this process.
  const api = (await import('../../src/api')) as {
    buildApp(options: {
      service: unknown;
      authenticator: unknown;
      logger?: unknown;
      bodyLimitBytes?: number;
    }): {
      listen(options: { host: string; port: number }): Promise<string>;
      close(): Promise<void>;
    };
  };
  const pool = createPool(config.databaseUrl, config.pgPoolSize, (error) =>
    process.stderr.write(`[serve] a PostgreSQL connection failed: ${error.message}\n`),
  );
  const service = createOrderService(config, createEventStoreFor(config, pool));
  const logger = config.logLevel === 'silent' ? undefined : createLogger(config, 'api');
  const app = api.buildApp({
    service,
    // As `serve` builds it, from AUTH_MODE and friends (the bench sets them per phase).
    authenticator: authenticatorFor(config, pgExecutor(pool), (message) =>
      process.stderr.write(`[serve] ${message}\n`),
    ),
    bodyLimitBytes: config.httpBodyLimitBytes,
    ...(logger === undefined ? {} : { logger }),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ address })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await pool.end();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
