import pino from 'pino';
import { Pool } from 'pg';
import { orderContracts, orderTopic } from '../contracts';
import { withSessionOptions } from '../db/pool';
import { createReportingProjection } from '../projections/reporting';
import { projectorMetrics, runProjector } from '../projections/runtime';
import { kafkaPublisher, relayMetrics, runRelay } from '../relay';
import { isolate, type Isolated } from '../../test/harness';
import { describeSetup, runSetup } from './setup';

/**
 * `tributary setup` creates what the long-running components no longer create themselves, and those
 * components stop with one line naming what is missing rather than create it (or wait without a word).
 */
describe('setup, and components that create nothing', () => {
  let env: Isolated;
  let pool: Pool;
  beforeAll(async () => {
    env = await isolate(__filename);
    pool = new Pool({ connectionString: withSessionOptions(env.config.databaseUrl), max: 2 });
  });
  afterAll(async () => {
    await pool
      ?.query(
        `select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = current_database()`,
      )
      .catch(() => undefined);
    await pool?.end();
    await env?.cleanup();
  });

  const silent = pino({ level: 'silent' });

  it('the relay stops when its slot does not exist, saying setup creates it', async () => {
    const config = { ...env.config, relaySlot: `${env.name}_none` };
    const relay = runRelay(
      {
        config,
        pool,
        logger: silent,
        metrics: relayMetrics(),
        publisher: kafkaPublisher({ connection: config, clientId: 'test', compression: 'none' }),
      },
      new AbortController().signal,
    );
    await expect(relay).rejects.toThrow(
      `replication slot ${config.relaySlot} does not exist: \`tributary setup\` creates it`,
    );
    const { rows } = await pool.query(`select 1 from pg_replication_slots where slot_name = $1`, [
      config.relaySlot,
    ]);
    expect(rows).toEqual([]);
  });

  it('a projector stops when its topics do not exist, naming them', async () => {
    const topic = orderTopic(env.config);
    const projector = runProjector(
      {
        projection: createReportingProjection({ pool }),
        contracts: orderContracts(env.config.cloudEventTypePrefix),
        pool,
        connection: env.config,
        groupId: `${env.name}-group`,
        topics: [topic],
        retryAttempts: 1,
        retryMaxMs: 1_000,
        partitionsConsumedConcurrently: 1,
        maxBytesPerPartition: 1_048_576,
        logger: silent,
        metrics: projectorMetrics('reporting'),
      },
      new AbortController().signal,
    );
    await expect(projector).rejects.toThrow(
      `Kafka topics ${topic}, ${topic}.dlq do not exist, or this user may not describe them: \`tributary setup\` creates them and their ACLs`,
    );
  });

  it('creates the schema, the slot and the topics once; a second run finds them all', async () => {
    // Slot names belong to the whole cluster: this file's own.
    const config = { ...env.config, relaySlot: `${env.name}_slot` };
    const first = await runSetup(config, { kafka: env.kafka() });
    expect(first.migrations.length).toBeGreaterThan(0);
    expect(first.grantedTo).toBeUndefined();
    expect(first.slotCreated).toBe(true);
    expect(first.topicsCreated).toEqual(
      [
        `${env.config.topicPrefix}inventory`,
        `${env.config.topicPrefix}order`,
        `${env.config.topicPrefix}order.dlq`,
        `${env.config.topicPrefix}payment`,
      ].sort(),
    );
    const second = await runSetup(config, { kafka: env.kafka() });
    expect(describeSetup(second, config)).toEqual([
      'migrations: up to date',
      `grants: none (no ${env.config.dbRolePrefix}* roles: a single-role setup; \`tributary db roles\` creates them)`,
      `publication ${env.config.relayPublication}: exists`,
      `replication slot ${config.relaySlot}: exists`,
      'topics: all exist',
      // Creating ACLs that exist changes nothing; setup asks for all of them every time.
      `kafka acls: ${second.acls} for ${config.kafkaUserPrefix}relay, search, reporting, verify, saga`,
    ]);
    expect(second.acls).toBe(first.acls);
    expect(first.acls).toBeGreaterThan(0);
  });
});
