import type { Pool } from 'pg';
import type { Config } from '../config';
import { pgExecutor } from '../db/executor';
import { createPool } from '../db/pool';
import { TributaryError } from '../errors';
import { loadSchemaRegistry } from './schemas';
import { stopOnSignal } from './stop-signal';
import { createLogger, type Logger } from '../observability';
import { componentConfig } from './database';
import {
  describeOpenDeadLetters,
  describeSlot,
  dropSlot,
  ensureSlot,
  kafkaPublisher,
  listDeadLetters,
  relayMetrics,
  resolveDeadLetter,
  runRelay,
  serveMetrics,
  slotStatus,
} from '../relay';

/**
 * `relay` runs the relay until SIGINT/SIGTERM; `relay status`; `relay slot create|drop`. Every one connects
 * as the relay's role (RELAY_DATABASE_URL), which has REPLICATION.
 */
export async function relayCommand(
  fullConfig: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const logger = createLogger(fullConfig, 'relay');
  const config = componentConfig(fullConfig, 'relay', args.length === 0 ? logger : undefined);
  // The relay's own queries (lock, slot status, heartbeats) are all short: 30 s without an answer means the
  // connection is dead, and the query fails (retriable) instead of holding the relay forever.
  const pool = createPool(
    config.databaseUrl,
    4,
    (error) => logger.warn({ err: error.message }, 'a PostgreSQL connection failed; it will be replaced'),
    { queryTimeoutMs: 30_000 },
  );
  try {
    if (args[0] === 'dead-letters') return await deadLettersCommand(config, pool, args.slice(1), say);
    switch (args.join(' ')) {
      case '':
        return await run(config, pool, logger);
      case 'status': {
        const status = await slotStatus(pgExecutor(pool), config.relaySlot);
        for (const line of describeSlot(status, config)) say(line);
        if (status) say(describeOpenDeadLetters(await listDeadLetters(pgExecutor(pool), config.relaySlot)));
        return status ? 0 : 3;
      }
      case 'slot create': {
        // The publication is the owner's (`tributary setup`); creating a slot takes REPLICATION.
        const slot = await ensureSlot(pgExecutor(pool), config.relaySlot);
        say(`slot ${config.relaySlot}: ${slot ? 'created' : 'exists'}`);
        return 0;
      }
      case 'slot drop': {
        const dropped = await dropSlot(pgExecutor(pool), config.relaySlot);
        say(dropped ? `slot ${config.relaySlot} dropped` : `slot ${config.relaySlot} does not exist`);
        return 0;
      }
      default:
        throw new TributaryError(
          'input.invalid',
          `unknown relay command '${args.join(' ')}': expected status, slot create, slot drop or dead-letters`,
        );
    }
  } finally {
    await pool.end();
  }
}

async function run(config: Config, pool: Pool, logger: Logger): Promise<number> {
  const metrics = relayMetrics();
  const server =
    config.relayMetricsPort > 0
      ? await serveMetrics(metrics, config.metricsHost, config.relayMetricsPort)
      : undefined;
  const stop = stopOnSignal(logger);
  try {
    await runRelay(
      {
        config,
        pool,
        logger,
        metrics,
        publisher: kafkaPublisher({
          connection: config,
          clientId: `tributary-relay-${config.relaySlot}`,
          compression: config.kafkaCompression,
        }),
        ...(config.relayValidateSchemas ? { validate: loadSchemaRegistry().validate } : {}),
      },
      stop.signal,
    );
    logger.info('relay stopped');
    return 0;
  } finally {
    stop.release();
    server?.close();
  }
}

/** `relay dead-letters list`, `relay dead-letters replay <id>`, `relay dead-letters skip <id>`. */
async function deadLettersCommand(
  config: Config,
  pool: Pool,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const [action, id] = args;
  if (action === 'list' && id === undefined) {
    const open = await listDeadLetters(pgExecutor(pool), config.relaySlot);
    if (open.length === 0) say(`no open dead letters on slot ${config.relaySlot}`);
    for (const d of open) {
      say(
        `${d.id}  ${d.createdAt.toISOString()}  lsn ${d.lsn}  ${d.aggregate ?? '(no aggregate)'}  ${d.topic ?? '-'}  parked ${d.parked}  ${d.reason}`,
      );
    }
    return 0;
  }
  if ((action === 'replay' || action === 'skip') && id !== undefined && /^\d+$/.test(id)) {
    const publisher = kafkaPublisher({
      connection: config,
      clientId: `tributary-relay-${config.relaySlot}-dead-letters`,
      compression: config.kafkaCompression,
    });
    await publisher.connect();
    try {
      const published = await resolveDeadLetter(pool, publisher, { slot: config.relaySlot, id, action });
      say(
        `dead letter ${id} ${action === 'replay' ? 'replayed' : 'skipped'}: ${published} record(s) published`,
      );
      return 0;
    } finally {
      await publisher.disconnect();
    }
  }
  throw new TributaryError(
    'input.invalid',
    `unknown relay dead-letters command '${args.join(' ')}': expected list, replay <id> or skip <id>`,
  );
}
