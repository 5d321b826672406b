import { Client as ElasticClient } from '@elastic/elasticsearch';
import { Pool } from 'pg';
import type { Config } from '../config';
import { pgExecutor } from '../db/executor';
import { createPool, withSessionOptions } from '../db/pool';
import { TributaryError } from '../errors';
import { stopOnSignal } from './stop-signal';
import { databaseUrlFor } from './database';
import { createLogger, serveMetrics, type Logger } from '../observability';
import { orderContracts, orderTopic } from '../contracts';
import { rebuildReporting, rebuildSearch } from '../projections/rebuild';
import { createReportingProjection } from '../projections/reporting';
import {
  listDeadLetters,
  projectorMetrics,
  replayDeadLetters,
  retry,
  runProjector,
} from '../projections/runtime';
import { createSearchProjection, ensureOrdersIndex, ordersIndexOptions } from '../projections/search';
import type { Projection } from '../projections/types';
import { elasticsearchClient } from '../clients';
import { sleep } from '../util';

/**
 * `project <search|reporting>` runs a projector until SIGINT/SIGTERM; `rebuild <search|reporting>` rebuilds
 * a read model from the event store without downtime; `dead-letters list|replay` shows and replays what a
 * projector parked.
 */

export const PROJECTORS = ['search', 'reporting'] as const;
export type ProjectorName = (typeof PROJECTORS)[number];

function projectorName(value: string | undefined): ProjectorName {
  if (value === 'search' || value === 'reporting') return value;
  throw new TributaryError(
    'input.invalid',
    value === undefined
      ? 'name a projector: search or reporting'
      : `unknown projector '${value}': expected search or reporting`,
  );
}

/** The resources a projector command holds; `close` releases them. */
interface Resources {
  pool: Pool;
  es: ElasticClient;
  projection: Projection;
  close(): Promise<void>;
}

/**
 * The search projector's index and alias, made or checked before it consumes. While Elasticsearch cannot be
 * reached, refuses the credential or is not trusted, it says so in one line per attempt and tries again with
 * backoff (an operator fixes the setting; the projector goes on), instead of exiting into a restart loop.
 */
async function ensureIndexPatiently(config: Config, es: ElasticClient, logger: Logger): Promise<void> {
  const ensure = async () => {
    await ensureOrdersIndex(es, config.indexPrefix, ordersIndexOptions(config));
  };
  const failure = await retry(ensure, {
    attempts: 1,
    maxBackoffMs: config.projectorRetryMaxMs,
    beforeWait: async (problem, attempt, waitMs) => {
      logger.warn({ attempt: attempt + 1, waitMs }, `${problem.message}; trying again`);
    },
    sleep: (ms) => sleep(ms),
  });
  if (failure) throw failure;
}

/**
 * A projector's pool, Elasticsearch client and projection. The pool connects as the projector's own role
 * (SEARCH_DATABASE_URL, REPORTING_DATABASE_URL); a rebuild passes `owner`, since it creates and swaps tables.
 */
async function open(
  config: Config,
  name: ProjectorName,
  logger: Logger,
  as: 'projector' | 'owner' = 'projector',
): Promise<Resources> {
  const url = databaseUrlFor(config, as === 'owner' ? 'migrate' : name, logger);
  const pool = createPool(url, config.projectorPartitionsConcurrency * 2 + 2, (error) =>
    logger.warn({ err: error.message }, 'a PostgreSQL connection failed; it will be replaced'),
  );
  const es = elasticsearchClient(config);
  const index = ordersIndexOptions(config);
  if (name === 'search') await ensureIndexPatiently(config, es, logger);
  const projection =
    name === 'search'
      ? createSearchProjection({ es, prefix: config.indexPrefix, index })
      : createReportingProjection({ pool });
  return {
    pool,
    es,
    projection,
    async close() {
      // On the way out: the command's outcome is already decided, and a failure to close changes nothing.
      await es.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

export async function projectCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const name = projectorName(args[0]);
  const logger = createLogger(config, `projector-${name}`);
  const metrics = projectorMetrics(name);
  const port = name === 'search' ? config.searchMetricsPort : config.reportingMetricsPort;
  const server = port > 0 ? await serveMetrics(metrics, config.metricsHost, port) : undefined;
  const resources = await open(config, name, logger);
  const stop = stopOnSignal(logger);
  try {
    say(
      `projector ${name}: consuming ${orderTopic(config)} as ${config.projectorGroupPrefix}${name} (Kafka user ${config.kafkaUsername}); Ctrl-C stops it`,
    );
    await runProjector(
      {
        projection: resources.projection,
        contracts: orderContracts(config.cloudEventTypePrefix),
        pool: resources.pool,
        connection: config,
        groupId: `${config.projectorGroupPrefix}${name}`,
        topics: [orderTopic(config)],
        retryAttempts: config.projectorRetryAttempts,
        retryMaxMs: config.projectorRetryMaxMs,
        partitionsConsumedConcurrently: config.projectorPartitionsConcurrency,
        maxBytesPerPartition: config.projectorFetchMaxBytesPerPartition,
        logger,
        metrics,
      },
      stop.signal,
    );
    return 0;
  } finally {
    stop.release();
    server?.close();
    await resources.close();
  }
}

export async function rebuildCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const name = projectorName(args[0]);
  const logger = createLogger(config, `rebuild-${name}`);
  const resources = await open(config, name, logger, 'owner');
  try {
    const deps = { pool: resources.pool, projection: resources.projection, logger };
    const result =
      name === 'search'
        ? await rebuildSearch({
            ...deps,
            es: resources.es,
            prefix: config.indexPrefix,
            index: ordersIndexOptions(config),
          })
        : await rebuildReporting(deps);
    say(
      `rebuild ${name}: ${result.built} orders built, ${result.caughtUp} caught up after the swap, in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    return 0;
  } finally {
    await resources.close();
  }
}

export async function deadLettersCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'list') return listCommand(config, rest, say);
  if (verb === 'replay') return replayCommand(config, rest, say);
  throw new TributaryError(
    'input.invalid',
    `unknown dead-letters command '${verb ?? ''}': expected list or replay`,
  );
}

/** The value after `--name` in `args`, or undefined when the flag is absent. */
function flagValue(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--'))
    throw new TributaryError('input.invalid', `${name} needs a value`);
  return value;
}

/** `dead-letters list [--projector p] [--status parked|replayed] [--aggregate id]`: one line per letter. */
async function listCommand(config: Config, args: string[], say: (line: string) => void): Promise<number> {
  const status = flagValue(args, '--status');
  if (status !== undefined && status !== 'parked' && status !== 'replayed') {
    throw new TributaryError('input.invalid', `--status must be parked or replayed, not '${status}'`);
  }
  const projector = flagValue(args, '--projector');
  if (projector !== undefined) projectorName(projector);
  const aggregateId = flagValue(args, '--aggregate');
  const pool = new Pool({ connectionString: withSessionOptions(databaseUrlFor(config, 'readonly')), max: 1 });
  try {
    const letters = await listDeadLetters(pgExecutor(pool), {
      ...(projector ? { projector } : {}),
      ...(status ? { status } : {}),
      ...(aggregateId ? { aggregateId } : {}),
    });
    const columns = ['id', 'projector', 'status', 'aggregate', 'version', 'event', 'topic/partition@offset'];
    say([...columns, 'reason'].join('\t'));
    for (const l of letters) {
      say(
        [
          l.id,
          l.projector,
          l.status,
          l.aggregateId ?? '-',
          l.version ?? '-',
          l.eventId ?? '-',
          `${l.topic}/${l.partition}@${l.offset}`,
          l.reason,
        ].join('\t'),
      );
    }
    say(`${letters.length} dead letters`);
    return 0;
  } finally {
    await pool.end();
  }
}

/** `dead-letters replay <projector> [--aggregate id]`: exits 4 when some letters still fail. */
async function replayCommand(config: Config, args: string[], say: (line: string) => void): Promise<number> {
  const name = projectorName(args[0]);
  const resources = await open(config, name, createLogger(config, `replay-${name}`));
  try {
    const aggregateId = flagValue(args, '--aggregate');
    const result = await replayDeadLetters(
      resources.pool,
      resources.projection,
      orderContracts(config.cloudEventTypePrefix),
      aggregateId ? { aggregateId } : {},
    );
    say(`replayed ${result.replayed} dead letters; unparked ${result.unparked.length} aggregates`);
    for (const failing of result.stillFailing) {
      say(`still failing: ${failing.aggregateId ?? '-'} ${failing.eventId ?? '-'}: ${failing.reason}`);
    }
    return result.stillFailing.length === 0 ? 0 : 4;
  } finally {
    await resources.close();
  }
}
