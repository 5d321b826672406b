import { type Admin } from 'kafkajs';
import { loadConfig, type Config, type Environment } from '../config';
import type { Executor } from '../db/executor';
import { ensureOrdersIndex, ordersAlias, ordersIndexOptions } from '../projections/search';
import { orderTopic } from '../contracts';
import { runSetup } from '../setup';
import { requirePortFree } from '../stack/preflight';
import { waitForApi, waitForGroup, waitForRelay } from './pipeline';
import { kafkaUserEnv } from './kafka-users';
import { demoRoles } from './roles';
import type { Component, Components } from './processes';
import { secondsSince } from './wait';
import { sleep } from '../util';
import { elasticsearchClient, kafkaClient } from '../clients';
import { elasticsearchUserEnv } from './elasticsearch-users';
import { gatewayArgs, gatewayEnv, waitForGateway, type DemoGateway } from './gateway';

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
  /** The saga's Kafka consumer group. */
  sagaGroupId: string;
}

/** Fails with one line naming the setting when a port a component would listen on is taken. */
export async function requirePortsFree(config: Config): Promise<void> {
  const ports: [number, string, string][] = [
    [config.httpPort, 'the API', 'HTTP_PORT'],
    [config.relayMetricsPort, 'the relay metrics', 'RELAY_METRICS_PORT'],
    [config.searchMetricsPort, 'the search projector metrics', 'SEARCH_METRICS_PORT'],
    [config.reportingMetricsPort, 'the reporting projector metrics', 'REPORTING_METRICS_PORT'],
    [config.sagaMetricsPort, 'the saga metrics', 'SAGA_METRICS_PORT'],
    [portOf(config.paymentGatewayUrl), 'the fake payment gateway', 'PAYMENT_GATEWAY_URL'],
  ];
  for (const [port, what, setting] of ports) if (port > 0) await requirePortFree(port, what, setting);
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

/** What prepareStore did, and the environment the components run with (their roles' connections). */
export interface PreparedStore {
  summary: string;
  environment: Environment;
  /** What `db roles` could not do (see RolesReport). */
  notes: string[];
}

/**
 * What a deployment does before its components start: their PostgreSQL roles (demoRoles), `tributary setup`
 * (migrations, grants, the relay's publication and slot, the topics), and the search index, which each
 * search reader would otherwise race to create. `admin` connects as DATABASE_URL.
 */
export async function prepareStore(
  config: Config,
  environment: Environment,
  admin: Executor,
): Promise<PreparedStore> {
  const roles = await demoRoles(config, admin);
  const prepared = { ...environment, ...roles?.settings };
  const kafka = kafkaClient(config, { clientId: 'tributary-setup' });
  const report = await runSetup(loadConfig(prepared), { kafka });
  const es = elasticsearchClient(config);
  await ensureOrdersIndex(es, config.indexPrefix, ordersIndexOptions(config)).finally(() => es.close());
  const migrations =
    report.migrations.length > 0 ? `ran ${report.migrations.length} migrations` : 'migrations up to date';
  const who = roles ? `roles ${config.dbRolePrefix}*` : 'roles as configured';
  return {
    summary: `${migrations} · ${who} · slot ${config.relaySlot} · index ${ordersAlias(config.indexPrefix)}`,
    environment: prepared,
    notes: roles?.notes ?? [],
  };
}

/** What starting the pipeline needs. */
export interface StartDeps {
  components: Components;
  admin: Admin;
  gateway: DemoGateway;
  signal: AbortSignal;
  say: (line: string) => void;
}

/**
 * Starts the API, the relay, both projectors, the fake payment gateway and the saga, and says when each is
 * ready. They get the demo's own environment (so the same configuration), with quiet logs: the relay logs at
 * info, since its 'replication session started' is how it says it streams. The gateway and the saga share
 * the gateway's key (PAYMENT_GATEWAY_KEY).
 */
export async function startPipeline(
  config: Config,
  environment: Environment,
  deps: StartDeps,
): Promise<StartedPipeline> {
  const { components, admin, signal, say } = deps;
  const env = { ...environment, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  const quiet = { ...env, LOG_LEVEL: 'warn' };
  const since = Date.now();
  const esUser = (name: string) => elasticsearchUserEnv(config, environment, name);
  const api = components.start({ name: 'api', args: ['serve'], env: { ...quiet, ...esUser('api') } });
  const relay = components.start({
    name: 'relay',
    args: ['relay'],
    env: { ...env, ...kafkaUserEnv(config, 'relay'), LOG_LEVEL: 'info' },
  });
  const projectors = PROJECTORS.map((name) => ({
    name,
    groupId: `${config.projectorGroupPrefix}${name}`,
    component: components.start({
      name,
      args: ['project', name],
      env: { ...quiet, ...kafkaUserEnv(config, name), ...esUser(name) },
    }),
  }));
  const baseUrl = `http://${config.httpHost}:${config.httpPort}`;
  const ready = (component: Component, what: string) =>
    say(`   ${component.name.padEnd(10)} ${what} (pid ${component.pid}, ${secondsSince(since)})`);
  const fulfilment = await startFulfilment(config, { ...deps, env: quiet, ready });
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
    fulfilment.ready,
  ]);
  return { baseUrl, projectors, sagaGroupId: fulfilment.groupId };
}

/**
 * Where the saga's consumer group starts when it has never run: at the end of the order topic, so orders
 * confirmed before the saga existed (by an earlier demo, which paid them by hand) get no saga. Returns how
 * many order events it skips that way (0 when the group already has offsets, or the topic is empty).
 */
export async function startSagaGroupAtEnd(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const onTopic = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (onTopic === 0) return 0;
  // A group coordinator that has just started answers NOT_COORDINATOR for a while: ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      if (committed?.partitions.some((p) => Number(p.offset) >= 0)) return 0;
      await admin.resetOffsets({ groupId, topic, earliest: false });
      return onTopic;
    } catch (error) {
      if (attempt >= 30 || !(error as { retriable?: boolean }).retriable) throw error;
      await sleep(1_000);
    }
  }
}

/**
 * The fake payment gateway and the saga (its own database role, SAGA_DATABASE_URL, and Kafka user).
 * `ready` settles once the gateway answers and the saga's consumer group has its partitions.
 */
async function startFulfilment(
  config: Config,
  deps: StartDeps & { env: Environment; ready: (component: Component, what: string) => void },
): Promise<{ groupId: string; ready: Promise<void> }> {
  const { components, admin, gateway, signal, env, ready, say } = deps;
  const groupId = `${config.projectorGroupPrefix}saga`;
  const skipped = await startSagaGroupAtEnd(admin, groupId, orderTopic(config));
  if (skipped > 0) {
    say(
      `   saga       first run on this stack: starts after the ${skipped} order events already on ${orderTopic(config)}`,
    );
  }
  const shared = { ...env, ...gatewayEnv(gateway) };
  const fake = components.start({ name: 'gateway', args: gatewayArgs(), env: shared });
  const saga = components.start({
    name: 'saga',
    args: ['saga'],
    env: { ...shared, ...kafkaUserEnv(config, 'saga') },
  });
  return {
    groupId,
    ready: Promise.all([
      waitForGateway(gateway, fake, signal).then(() => ready(fake, `fake payment gateway at ${gateway.url}`)),
      waitForGroup(admin, groupId, saga, signal).then(() =>
        ready(saga, `fulfilment saga consuming ${orderTopic(config)} as ${groupId}`),
      ),
    ]).then(() => undefined),
  };
}
