import { Pool } from 'pg';
import { buildApp, startServer } from '../api';
import { createEventStoreFor, createOrderService } from '../commands';
import type { Config } from '../config';
import { migrate } from '../db/data-source';
import { createLogger } from '../observability';

/**
 * Runs the HTTP API until SIGINT/SIGTERM: migrations first (idempotent), then the server. On a signal it stops
 * taking requests, finishes those in flight, closes the pool, and resolves.
 */
export async function serve(config: Config, say: (line: string) => void): Promise<void> {
  const logger = createLogger(config, 'api');
  const ran = await migrate(config);
  if (ran.length > 0) say(`migrations: ran ${ran.join(', ')}`);
  const pool = new Pool({ connectionString: config.databaseUrl, max: config.pgPoolSize });
  const service = createOrderService(config, createEventStoreFor(config, pool));
  const app = buildApp({ service, logger, bodyLimitBytes: config.httpBodyLimitBytes });
  const address = await startServer(app, { host: config.httpHost, port: config.httpPort });
  say(`API listening on ${address} — OpenAPI at ${address}/docs; Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say('stopping the API');
  await app.close();
  await pool.end();
}
