import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { buildApp } from '../src/api';
import { authenticatorFor, createApiKey } from '../src/auth';
import { elasticsearchClient } from '../src/clients';
import { readModelsFor } from '../src/cli/serve';
import { createEventStoreFor, createOrderService } from '../src/commands';
import { loadConfig, type Config } from '../src/config';
import { pgExecutor } from '../src/db/executor';
import { withSessionOptions } from '../src/db/pool';
import type { RoleComponent } from '../src/db/roles';
import { kafkaClient } from '../src/clients';
import { rebuildReporting } from '../src/projections/rebuild';
import { createReportingProjection } from '../src/projections/reporting';
import { createSearchProjection, ensureOrdersIndex } from '../src/projections/search';
import { verifyPipeline, type VerifyReport } from '../src/verify';
import { ApiClient } from './api';
import { startProjector, type InProcessProjector } from './fixtures/projector';
import { seededRandom } from './fixtures/random';
import { eventually, startRelay, type InProcessRelay } from './fixtures/relay';
import { openRolesFixture, type RolesFixture } from './fixtures/roles';
import { orderWorkload } from './fixtures/workload';

/**
 * The whole pipeline with every component under its own role, as a deployment with `db roles` and `setup`
 * runs it: the API (HTTP, in both outbox modes), the relay, both projectors, a reporting rebuild by the
 * owner, and `verify` as the read-only role. Kafka is the stack's SASL_SSL listener with its authorizer: the
 * relay, each projector and verify connect as their own Kafka user, with only the ACLs `setup` gave them.
 * Elasticsearch likewise: the API, the search projector and verify each as its own user of the stack (the
 * projector may write the index, the API and verify only read it). Nothing here connects as a super user but
 * the fixture's setup.
 */
/** The Kafka user each database role's component connects as (the API and the owner never use Kafka). */
const KAFKA_USER: Record<RoleComponent, string> = {
  owner: 'admin',
  api: 'admin',
  relay: 'relay',
  search: 'search',
  reporting: 'reporting',
  readonly: 'verify',
  saga: 'saga',
};

describe('the pipeline under a role per component', () => {
  let fx: RolesFixture;
  const pools: Pool[] = [];
  let app: FastifyInstance;
  let api: ApiClient;
  let relay: InProcessRelay;
  let projectors: InProcessProjector[] = [];

  /** The fixture's configuration as one component runs it: DATABASE_URL is its role's connection. */
  const as = (component: RoleComponent, settings: Record<string, string> = {}): Config =>
    loadConfig({
      ...process.env,
      DATABASE_URL: fx.url(component),
      KAFKA_USERNAME: `${fx.config.kafkaUserPrefix}${KAFKA_USER[component]}`,
      TOPIC_PREFIX: fx.config.topicPrefix,
      INDEX_PREFIX: fx.config.indexPrefix,
      RELAY_SLOT: fx.config.relaySlot,
      RELAY_HEARTBEAT_MS: '200',
      RELAY_METRICS_PORT: '0',
      ...settings,
    });
  const poolOf = (component: RoleComponent) => {
    const pool = new Pool({ connectionString: withSessionOptions(fx.url(component)), max: 4 });
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
  /** A client as the stack's Elasticsearch user of a component (ELASTICSEARCH_USERNAME alone); closed after. */
  const esClients: ReturnType<typeof elasticsearchClient>[] = [];
  const esAs = (user: 'tributary-api' | 'tributary-search' | 'tributary-verify') => {
    const client = elasticsearchClient(loadConfig({ ...process.env, ELASTICSEARCH_USERNAME: user }));
    esClients.push(client);
    return client;
  };
  let readonly: Pool;
  let verifyEs: ReturnType<typeof esAs>;
  const verify = (): Promise<VerifyReport> =>
    verifyPipeline({
      pool: readonly,
      kafka: kafkaClient(as('readonly'), { clientId: 'roles-verify' }),
      es: verifyEs,
      topicPrefix: fx.config.topicPrefix,
      indexPrefix: fx.config.indexPrefix,
    });

  beforeAll(async () => {
    fx = await openRolesFixture(__filename);
    readonly = poolOf('readonly');
    fx.env.elasticsearch(); // the fixture's superuser client: its cleanup deletes this file's indices
    await ensureOrdersIndex(esAs('tributary-search'), fx.config.indexPrefix);
    verifyEs = esAs('tributary-verify');
    const apiPool = poolOf('api');
    const config = as('api', { AUTH_MODE: 'apikey' });
    // The owner creates a key (`tributary auth api-key create`); the API role looks it up per request.
    const { key } = await createApiKey(pgExecutor(poolOf('owner')), {
      clientId: 'roles-test',
      roles: ['admin'],
    });
    app = buildApp({
      service: createOrderService(config, createEventStoreFor(config, apiPool)),
      authenticator: authenticatorFor(config, pgExecutor(apiPool), () => undefined),
      readModels: readModelsFor(config, apiPool, esAs('tributary-api')),
      swaggerUi: false,
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    api = new ApiClient(() => address, { 'x-api-key': key });
    relay = startRelay(as('relay'));
    await relay.started();
    projectors = [
      startProjector(
        as('search'),
        createSearchProjection({ es: esAs('tributary-search'), prefix: fx.config.indexPrefix }),
      ),
      startProjector(as('reporting'), createReportingProjection({ pool: poolOf('reporting') })),
    ];
  });
  afterAll(async () => {
    await Promise.all(projectors.map((projector) => projector.stop()));
    await relay?.stop();
    await app?.close();
    await Promise.all(pools.map((pool) => pool.end()));
    await Promise.all(esClients.map((client) => client.close()));
    await fx?.close();
  });

  it('carries HTTP commands (outbox rows and logical messages) to both read models, and verify agrees', async () => {
    for (let i = 0; i < 20; i++)
      await api.createOrder({ customer: { id: `c-${i % 4}`, name: 'A', email: 'a@example.com' } });
    const order = await api.createOrder();
    expect((await api.post(`/orders/${order.id}/confirm`, {})).statusCode).toBe(200);
    // OUTBOX_MODE=message: the API role's pg_logical_emit_message.
    const messages = as('api', { OUTBOX_MODE: 'message' });
    const workload = orderWorkload(
      createOrderService(messages, createEventStoreFor(messages, poolOf('api'))),
      seededRandom(18),
    );
    for (let i = 0; i < 60; i++) await workload.step();

    const report = await eventually(
      'the pipeline to be consistent',
      async () => {
        const result = await verify();
        return result.ok ? result : undefined;
      },
      90_000,
      1_000,
    );
    expect(report.problems).toEqual([]);
    expect(report.checks.find((check) => check.name === 'events → Kafka')!.checked).toBeGreaterThan(50);
    // The relay's heartbeat is relay_heartbeat(): it never failed for lack of a right.
    expect(relay.messages()).not.toContain('heartbeat failed');
    expect(relay.messages().filter((m) => /permission denied/.test(m))).toEqual([]);
    // Over SASL_SSL as tributary-relay, -search, -reporting: no request of theirs was denied.
    const denied = [relay.lines, ...projectors.map((p) => p.lines)]
      .flat()
      .filter((l) => l.code === 'infra.denied');
    expect(denied).toEqual([]);
  });

  it('answers report and search queries as the API role, with each read model’s freshness', async () => {
    const day = (offsetDays: number) =>
      new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
    const daily = await api.get(`/reports/daily?from=${day(-1)}&to=${day(1)}`);
    expect(daily.statusCode).toBe(200);
    expect(JSON.stringify(daily.json())).toMatch(/confirmed/);
    expect(daily.json<{ freshness: unknown }>().freshness).toBeTruthy();
    const search = await api.get('/search/orders?size=5');
    expect(search.statusCode).toBe(200);
    expect(search.json<{ total: number }>().total).toBeGreaterThan(0);
  });

  it('keeps the reporting role’s rights through a rebuild by the owner', async () => {
    const result = await rebuildReporting({ pool: poolOf('owner') });
    expect(result.built).toBeGreaterThan(0);
    const after = await api.createOrder();
    expect((await api.post(`/orders/${after.id}/confirm`, {})).statusCode).toBe(200);
    await eventually(
      'the rebuilt reports to take new events',
      async () => (await verify()).ok,
      60_000,
      1_000,
    );
    expect(projectors[1]!.lines.filter((line) => /permission denied/.test(JSON.stringify(line)))).toEqual([]);
  });
});
