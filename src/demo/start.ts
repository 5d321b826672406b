import { Client as ElasticClient } from '@elastic/elasticsearch';
import type { Admin } from 'kafkajs';
import type { Config, Environment } from '../config';
import { migrate } from '../db/data-source';
import type { Executor } from '../db/executor';
import { ensureOrdersIndex, ordersAlias, ordersIndexOptions } from '../projections/search';
import { orderTopic } from '../contracts';
import { ensurePublication, ensureSlot } from '../relay';
import { requirePortFree } from '../stack/preflight';
import { waitForApi, waitForGroup, waitForRelay } from './pipeline';
import type { Component, Components } from './processes';
import { secondsSince } from './wait';

/** Starting the pipeline: what its components would race to create first, then each component, until ready. */

export const PROJECTORS = ['search', 'reporting'] as const;

export interface Projector {
  name: (typeof PROJECTORS)[number];
  /** Its Kafka consumer group. */
  groupId: string;
  component: Component;
}

export interface StartedPipeline {
  /** Where the API answers. */
  baseUrl: string;
  projectors: Projector[];
}

/** Fails with one line naming the setting when a port a component would listen on is taken. */
export async function requirePortsFree(config: Config): Promise<void> {
  const ports: [number, string, string][] = [
    [config.httpPort, 'the API', 'HTTP_PORT'],
    [config.relayMetricsPort, 'the relay metrics', 'RELAY_METRICS_PORT'],
    [config.searchMetricsPort, 'the search projector metrics', 'SEARCH_METRICS_PORT'],
    [config.reportingMetricsPort, 'the reporting projector metrics', 'REPORTING_METRICS_PORT'],
  ];
  for (const [port, what, setting] of ports) if (port > 0) await requirePortFree(port, what, setting);
}

/**
 * Migrations, the relay's publication and slot, and the search index: each component would create them on
 * start, concurrently (migrations take no lock), so the demo creates them first. Returns what it did.
 */
export async function prepareStore(config: Config, executor: Executor): Promise<string> {
  const ran = await migrate(config);
  await ensurePublication(executor, config.relayPublication, 'outbox');
  await ensureSlot(executor, config.relaySlot);
  const es = new ElasticClient({ node: config.elasticsearchUrl });
  await ensureOrdersIndex(es, config.indexPrefix, ordersIndexOptions(config)).finally(() => es.close());
  const migrations = ran.length > 0 ? `ran ${ran.length} migrations` : 'migrations up to date';
  return `${migrations} · slot ${config.relaySlot} · index ${ordersAlias(config.indexPrefix)}`;
}

/**
 * Starts the API, the relay and both projectors, and says when each is ready. They get the demo's own
 * environment (so the same configuration), with quiet logs: the relay logs at info, since its
 * 'replication session started' is how it says it streams.
 */
export async function startPipeline(
  config: Config,
  environment: Environment,
  deps: { components: Components; admin: Admin; signal: AbortSignal; say: (line: string) => void },
): Promise<StartedPipeline> {
  const { components, admin, signal, say } = deps;
  const env = { ...environment, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const quiet = { ...env, LOG_LEVEL: 'warn' };
  const since = Date.now();
  const api = components.start({ name: 'api', args: ['serve'], env: quiet });
  const relay = components.start({ name: 'relay', args: ['relay'], env: { ...env, LOG_LEVEL: 'info' } });
  const projectors = PROJECTORS.map((name) => ({
    name,
    groupId: `${config.projectorGroupPrefix}${name}`,
    component: components.start({ name, args: ['project', name], env: quiet }),
  }));
  const baseUrl = `http://${config.httpHost}:${config.httpPort}`;
  const ready = (component: Component, what: string) =>
    say(`   ${component.name.padEnd(10)} ${what} (pid ${component.pid}, ${secondsSince(since)})`);
  await Promise.all([
    waitForApi(baseUrl, api, signal).then(() => ready(api, `listening at ${baseUrl}`)),
    waitForRelay(relay, signal).then((state) =>
      ready(
        relay,
        state === 'streaming'
          ? `streaming slot ${config.relaySlot} to Kafka`
          : `standing by: another relay holds slot ${config.relaySlot} and publishes meanwhile`,
      ),
    ),
    ...projectors.map(({ groupId, component }) =>
      waitForGroup(admin, groupId, component, signal).then(() =>
        ready(component, `projector consuming ${orderTopic(config)} as ${groupId}`),
      ),
    ),
  ]);
  return { baseUrl, projectors };
}
