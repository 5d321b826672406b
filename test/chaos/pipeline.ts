import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, type Admin } from 'kafkajs';
import { Client, Pool } from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { pgExecutor } from '../../src/db/executor';
import { ensureRoles, roleNames } from '../../src/db/roles';
import { orderTopic } from '../../src/contracts';
import { dropSlot } from '../../src/relay';
import { runSetup } from '../../src/setup';
import { componentSettings, randomPasswords } from '../fixtures/roles';
import { verifyPipeline, type VerifyReport } from '../../src/verify';
import { TestIssuer } from '../fixtures/auth';
import { supervise, type ProcessName, type SupervisedProcess } from './processes';
import { PORTS, type ChaosStack } from './stack';
import { withSessionOptions } from '../../src/db/pool';
import { sleep } from '../../src/util';
import { elasticsearchClient, kafkaClient } from '../../src/clients';
import { createEventStoreFor, createInventoryService, handlerSettingsOf } from '../../src/commands';
import { createGatewayClient, type Faults, type GatewayStats } from '../../src/gateway';
import { captureKeyOf } from '../../src/saga';
import { sagasInProgress } from '../../src/verify';
import { SKUS } from './load';

/**
 * One scenario's pipeline on the chaos stack: its own database, relay slot, topic prefix and index prefix
 * (so scenarios are independent), the real processes (the four of the pipeline, the saga and the fake payment
 * gateway) talking to the services through the fault
 * proxies, and the harness's own direct connections to watch it: when is it quiet, and does `verify` agree.
 */

export const PROJECTORS = ['search', 'reporting'] as const;

export interface Pipeline {
  readonly name: string;
  /** The configuration the processes run with (addresses through the proxies). */
  readonly config: Config;
  readonly processes: Record<ProcessName, SupervisedProcess>;
  readonly apiUrl: string;
  /** Headers that authenticate a request to the API (authentication is on, as in production). */
  readonly credential: Record<string, string>;
  readonly logDir: string;
  /** Direct pool on the scenario's database. */
  readonly pool: Pool;
  /** Starts the processes and waits until each is ready. */
  startAll(): Promise<void>;
  /** The WAL position now: everything committed so far is below it. */
  walPosition(): Promise<string>;
  /**
   * Waits until everything committed below `lsn` is in both read models: the relay's slot confirmed `lsn`
   * (so it is on Kafka), then both projectors' committed offsets reached the topic's end as it was then.
   * Resolves with the times each happened; throws after `timeoutMs` naming the stage that did not get there.
   */
  waitDelivered(lsn: string, timeoutMs: number): Promise<{ onKafkaAt: number; deliveredAt: number }>;
  /** Messages on the order topic (all partitions). */
  publishedMessages(): Promise<number>;
  deadLetters(): Promise<number>;
  /** Event ids among `ids` that the store has. */
  storedAmong(ids: string[]): Promise<number>;
  /** Event ids among `ids` that are on Kafka (the CloudEvent id of every message on the order topic). */
  publishedAmong(ids: string[]): Promise<number>;
  /** Verify with every check, the saga's against the gateway's captures (the gateway must be running). */
  verify(): Promise<VerifyReport>;
  /** Waits until every saga is terminal; resolves with how many ended (throws after `timeoutMs`). */
  waitSagasEnded(timeoutMs: number): Promise<number>;
  /** Sets the fake gateway's fault knobs (the rest stay as they are). */
  gatewayFaults(faults: Partial<Faults>): Promise<void>;
  gatewayStats(): Promise<GatewayStats>;
  /** Stops the processes, all but those in `keep`. */
  stopAll(keep?: readonly ProcessName[]): Promise<void>;
  /** Drops the slot, database, topics, groups and indices. */
  cleanup(): Promise<void>;
}

/**
 * The saga runs as in production but on a shorter clock: a capture not made within 15 s times out (so the
 * payment timer fires within a scenario), the gateway counts as lost after 1 s, retries wait at most 2 s.
 */
const SAGA_SETTINGS = {
  SAGA_PAYMENT_TIMEOUT_MS: '15000',
  SAGA_RETRY_MAX_MS: '2000',
  SAGA_METRICS_PORT: '0',
  PAYMENT_GATEWAY_TIMEOUT_MS: '1000',
};

const SAGAS_SQL = `
  select (select count(distinct stream_id)::int from events where event_type = 'OrderConfirmed') as confirmed,
         (select count(*)::int from sagas) as sagas`;

/** Units received per SKU before the load: plenty, but for one SKU that runs out (out-of-stock sagas). */
const STOCK = (sku: string) => (sku === 'box-1' ? 25 : 100_000);

/** Every chaos scenario's roles: one set for the chaos stack's cluster, granted per scenario database. */
const ROLE_PREFIX = 'chaos_';

/**
 * A deployment's preparation, before any process starts (so the four can start at once, and no event is
 * committed before the slot exists): `db roles` as the stack's superuser, then `tributary setup` as the
 * owner, both direct. Returns the settings that make each process connect as its own role, via the proxy.
 */
async function setUpDatabase(
  stack: ChaosStack,
  database: string,
  env: Record<string, string>,
  kafka: Kafka,
): Promise<Record<string, string>> {
  const roles = roleNames(ROLE_PREFIX);
  const passwords = randomPasswords();
  const admin = new Client({ connectionString: stack.directDatabaseUrl(database) });
  await admin.connect();
  try {
    await ensureRoles(pgExecutor(admin), {
      roles,
      passwords,
      publication: loadConfig(env).relayPublication,
    });
  } finally {
    await admin.end();
  }
  const direct = componentSettings(stack.directDatabaseUrl(database), roles, passwords);
  await runSetup(loadConfig({ ...env, ...direct, DB_ROLE_PREFIX: ROLE_PREFIX }), { kafka });
  return {
    ...componentSettings(stack.proxiedDatabaseUrl(database), roles, passwords),
    DB_ROLE_PREFIX: ROLE_PREFIX,
  };
}

/** Stock for every SKU the load orders, received before any order is confirmed. */
async function receiveStock(config: Config, pool: Pool): Promise<void> {
  const inventory = createInventoryService(handlerSettingsOf(config, createEventStoreFor(config, pool)));
  for (const sku of SKUS) {
    const at = new Date().toISOString();
    await inventory.executeInventory({ type: 'RestockInventory', sku, quantity: STOCK(sku), at });
  }
}

/** The fake gateway as the harness reaches it: its client (captures by key), and its fault and stats API. */
function gatewayControl(url: string, apiKey: string) {
  const client = createGatewayClient({ url, apiKey, timeoutMs: 5_000 });
  const call = async <T>(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`gateway ${method} ${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  return { client, call };
}

export async function openPipeline(
  stack: ChaosStack,
  scenario: string,
  logRoot: string,
  say: (line: string) => void,
): Promise<Pipeline> {
  const id = `${scenario.replace(/[^a-z0-9]+/g, '_')}_${randomBytes(3).toString('hex')}`;
  const database = `chaos_${id}`;
  const prefix = `chaos-${id.replace(/_/g, '-')}`;
  const logDir = join(logRoot, scenario);
  mkdirSync(logDir, { recursive: true });

  const issuer = new TestIssuer();
  const admin = new Client({ connectionString: stack.directDatabaseUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }

  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: stack.proxiedDatabaseUrl(database),
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    ELASTICSEARCH_URL: stack.proxiedElasticsearchUrl,
    // The chaos stack's CA and user's password, not those of a stack in the working directory.
    ELASTICSEARCH_CA_FILE: stack.config.elasticsearchCaFile,
    ELASTICSEARCH_PASSWORD_FILE: stack.config.elasticsearchPasswordFile,
    // Kafka's CA and each user's password file (KAFKA_PASSWORD_FILE follows KAFKA_USERNAME) are the chaos stack's.
    STACK_DIR: stack.config.stackDir,
    TOPIC_PREFIX: `${prefix}.`,
    INDEX_PREFIX: `${prefix}-`,
    RELAY_SLOT: `chaos_${id}`,
    RELAY_HEARTBEAT_MS: '500',
    RELAY_METRICS_PORT: '0',
    SEARCH_METRICS_PORT: '0',
    REPORTING_METRICS_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(PORTS.api),
    LOG_LEVEL: 'info',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    // Authentication on: the API verifies the tokens of this scenario's own issuer.
    AUTH_MODE: 'jwt',
    ...issuer.environment(join(logDir, 'auth')),
  };
  // The fake gateway's key, known to the gateway and the saga (and to verify, which asks it for captures).
  env.PAYMENT_GATEWAY_KEY = randomBytes(18).toString('base64url');
  Object.assign(env, SAGA_SETTINGS, { PAYMENT_GATEWAY_URL: `http://127.0.0.1:${PORTS.gateway}` });
  const credential = {
    authorization: `Bearer ${issuer.token({ claims: { sub: 'chaos-load', exp: Math.floor(Date.now() / 1000) + 6 * 3600 } })}`,
  };
  const kafka = kafkaClient(
    { ...stack.config, kafkaBrokers: stack.kafkaBrokers },
    { clientId: `chaos-${id}`, retry: { retries: 3 } },
  );
  // Each process under its component's role, through the proxy; what the harness does itself goes direct.
  Object.assign(env, await setUpDatabase(stack, database, env, kafka));
  const config = loadConfig(env);
  const pool = new Pool({ connectionString: withSessionOptions(stack.directDatabaseUrl(database)), max: 4 });
  pool.on('error', () => undefined); // the harness outlives PostgreSQL restarts

  const es = elasticsearchClient({ ...config, elasticsearchUrl: stack.directElasticsearchUrl });
  let kafkaAdmin: Admin | undefined;
  const withAdmin = async <T>(work: (admin: Admin) => Promise<T>): Promise<T> => {
    kafkaAdmin ??= kafka.admin();
    try {
      await kafkaAdmin.connect();
      return await work(kafkaAdmin);
    } catch (error) {
      await kafkaAdmin.disconnect().catch(() => undefined);
      kafkaAdmin = undefined;
      throw error;
    }
  };
  const topic = orderTopic(config);
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;

  const processes = {} as Record<ProcessName, SupervisedProcess>;
  const readiness: Record<ProcessName, (p: SupervisedProcess, since: number) => Promise<void>> = {
    api: async (p) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          // With a credential: ready means verifying tokens too (a 401 would be an API without its JWKS).
          const response = await fetch(`${apiUrl}/orders/readiness-probe`, {
            headers: credential,
            signal: AbortSignal.timeout(2_000),
          });
          await response.arrayBuffer();
          if (response.status === 404) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`api did not answer on ${apiUrl} within 90 s`);
        if (p.pid() === undefined && p.unplannedExits.length > 3) throw new Error('api keeps exiting');
        await sleep(200);
      }
    },
    relay: (p, since) => p.waitForLine(/^replication session started$/, since, 90_000),
    search: (p, since) => p.waitForLine(/^projector search: consuming/, since, 90_000),
    reporting: (p, since) => p.waitForLine(/^projector reporting: consuming/, since, 90_000),
    saga: (p, since) => p.waitForLine(/^saga: consuming/, since, 90_000),
    gateway: (p, since) => p.waitForLine(/^fake payment gateway on/, since, 90_000),
  };
  for (const name of ['api', 'relay', 'search', 'reporting', 'saga', 'gateway'] as const) {
    // The API would log every request at info; the others log only their lifecycle there.
    // Each process that talks to Kafka does so as its own user, with only the ACLs setup gave it.
    const own =
      name === 'api'
        ? { ...env, LOG_LEVEL: 'warn' }
        : { ...env, KAFKA_USERNAME: `${config.kafkaUserPrefix}${name}` };
    processes[name] = supervise({ name, env: own, logDir, ready: readiness[name], say });
  }

  await receiveStock(config, pool);
  const gateway = gatewayControl(config.paymentGatewayUrl, env.PAYMENT_GATEWAY_KEY);
  const lsnAtLeast = async (lsn: string) => {
    const { rows } = await pool.query<{ done: boolean }>(
      `select confirmed_flush_lsn >= $1::pg_lsn as done from pg_replication_slots where slot_name = $2`,
      [lsn, config.relaySlot],
    );
    return rows[0]?.done === true;
  };

  return {
    name: scenario,
    config,
    processes,
    apiUrl,
    credential,
    logDir,
    pool,
    async startAll() {
      // The pipeline first, then the saga and the gateway: six Node processes starting at once on two
      // shared cores took over the 90 s readiness limit.
      const later: ProcessName[] = ['saga', 'gateway'];
      const [first, second] = [false, true].map((late) =>
        Object.values(processes).filter((p) => later.includes(p.name) === late),
      );
      await Promise.all(first!.map((p) => p.start()));
      await Promise.all(second!.map((p) => p.start()));
    },
    async walPosition() {
      const { rows } = await pool.query<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`);
      return rows[0]!.lsn;
    },
    async waitDelivered(lsn, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let stage = `the relay's slot to confirm ${lsn}`;
      let lastError = '';
      const poll = async <T>(check: () => Promise<T | undefined>): Promise<T> => {
        for (;;) {
          try {
            const value = await check();
            if (value !== undefined) return value;
          } catch (error) {
            lastError = (error as Error).message; // a service is still down: keep polling
          }
          if (Date.now() > deadline) {
            throw new Error(
              `not quiet after ${timeoutMs} ms: waiting for ${stage}${lastError ? ` (last error: ${lastError})` : ''}`,
            );
          }
          await sleep(200);
        }
      };
      await poll(async () => ((await lsnAtLeast(lsn)) ? true : undefined));
      const onKafkaAt = Date.now();
      const ends = await poll(async () =>
        withAdmin(
          async (admin) =>
            new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])),
        ),
      );
      for (const projector of PROJECTORS) {
        stage = `the ${projector} projector to commit offsets up to ${[...ends.values()].join(',')}`;
        await poll(async () => {
          const [committed] = await withAdmin((admin) =>
            admin.fetchOffsets({ groupId: `${config.projectorGroupPrefix}${projector}`, topics: [topic] }),
          );
          const offsets = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
          for (const [partition, end] of ends) {
            if (end > 0n && (offsets.get(partition) ?? -1n) < end) return undefined;
          }
          return true;
        });
      }
      return { onKafkaAt, deliveredAt: Date.now() };
    },
    async publishedMessages() {
      const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
      return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
    },
    async deadLetters() {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from projection_dead_letters`,
      );
      return rows[0]!.n;
    },
    async storedAmong(ids) {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from events where event_id = any($1::uuid[])`,
        [ids],
      );
      return rows[0]!.n;
    },
    async publishedAmong(ids) {
      const wanted = new Set(ids);
      const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
      const pending = new Set(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => p.partition));
      if (pending.size === 0) return 0;
      let found = 0;
      const groupId = `chaos-scan-${randomBytes(4).toString('hex')}`;
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`reading ${topic} took over 60 s`)), 60_000);
          consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                if (wanted.has(message.headers?.ce_id?.toString() ?? '')) found++;
                const end = BigInt(ends.find((p) => p.partition === partition)!.high);
                if (BigInt(message.offset) + 1n >= end) pending.delete(partition);
                if (pending.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await withAdmin((admin) => admin.deleteGroups([groupId])).catch(() => undefined);
      }
      return found;
    },
    verify: () =>
      verifyPipeline({
        pool,
        kafka,
        es,
        topicPrefix: config.topicPrefix,
        indexPrefix: config.indexPrefix,
        captures: (orderId) => gateway.client.findCapture(captureKeyOf(orderId)),
      }),
    async waitSagasEnded(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let left = '';
      for (;;) {
        // Every confirmed order has its saga (the saga consumer caught up), and none is still working.
        const { rows } = await pool
          .query<{ confirmed: number; sagas: number }>(SAGAS_SQL)
          .catch(() => ({ rows: [] as { confirmed: number; sagas: number }[] }));
        const working = await sagasInProgress(pgExecutor(pool)).catch(() => -1);
        const counts = rows[0];
        if (counts && working === 0 && counts.sagas >= counts.confirmed) return counts.sagas;
        left = counts
          ? `${counts.confirmed - counts.sagas} confirmed orders without a saga, ${working} sagas in progress`
          : '';
        if (Date.now() > deadline) throw new Error(`sagas not all ended after ${timeoutMs} ms: ${left}`);
        await sleep(500);
      }
    },
    gatewayFaults: async (faults) => {
      await gateway.call('PUT', '/faults', faults);
    },
    gatewayStats: () => gateway.call<GatewayStats>('GET', '/stats'),
    async stopAll(keep = []) {
      await Promise.all(
        Object.values(processes)
          .filter((p) => !keep.includes(p.name))
          .map((p) => p.stop()),
      );
    },
    async cleanup() {
      await kafkaAdmin?.disconnect().catch(() => undefined);
      await dropSlot(pgExecutor(pool), config.relaySlot).catch(() => undefined);
      await pool.end().catch(() => undefined);
      const pg = new Client({ connectionString: stack.directDatabaseUrl('postgres') });
      await pg.connect();
      try {
        await pg.query(`drop database if exists "${database}" with (force)`);
      } finally {
        await pg.end();
      }
      const admin = kafka.admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(config.topicPrefix));
        if (topics.length > 0) await admin.deleteTopics({ topics });
        await admin
          .deleteGroups([...PROJECTORS, 'saga'].map((p) => `${config.projectorGroupPrefix}${p}`))
          .catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
      await es.indices
        .delete({ index: `${config.indexPrefix}*`, allow_no_indices: true })
        .catch(() => undefined);
      await es.close();
    },
  };
}
