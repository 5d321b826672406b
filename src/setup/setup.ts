import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { databaseOf, type Config } from '../config';
import { migrate } from '../db/data-source';
import { pgExecutor } from '../db/executor';
import { withSessionOptions } from '../db/pool';
import { applyGrants, roleNames, rolesPresent } from '../db/roles';
import { ensurePublication, ensureSlot } from '../relay';
import { componentAcls, ensureAcls } from './acls';
import { deploymentTopics, ensureTopics } from './topics';

/**
 * `tributary setup`: everything the long-running components need to exist and no longer create themselves,
 * so none of them needs DDL, CREATE on Kafka, or to race the others at start. Idempotent; run it on every
 * deployment, before the components start:
 *  1. the migrations, as the owner (MIGRATE_DATABASE_URL);
 *  2. the grants and row-level security policies of every table (src/db/roles/privileges.ts), as the owner,
 *     when the deployment's roles exist (`tributary db roles`); none in a single-role setup;
 *  3. the relay's publication, as the owner;
 *  4. the relay's replication slot, over the relay's connection (creating a slot takes REPLICATION). A slot
 *     streams only what commits after it exists: created before the API takes its first write, the relay
 *     publishes every event whenever it starts;
 *  5. the Kafka topics (topics.ts) and the component users' ACLs on them (acls.ts).
 */

export interface SetupReport {
  migrations: string[];
  /** The roles granted to, or undefined in a single-role setup. */
  grantedTo: string[] | undefined;
  publicationCreated: boolean;
  slotCreated: boolean;
  topicsCreated: string[];
  /** How many ACLs were asked for, or 'no-authorizer' for a cluster without one. */
  acls: number | 'no-authorizer';
}

export async function runSetup(config: Config, deps: { kafka: Kafka }): Promise<SetupReport> {
  const migrations = await migrate(config);
  const owner = new Pool({ connectionString: withSessionOptions(databaseOf(config, 'migrate').url), max: 1 });
  try {
    const executor = pgExecutor(owner);
    const roles = roleNames(config.dbRolePrefix);
    const presence = await rolesPresent(executor, roles);
    if (presence === 'all') await applyGrants(owner, roles);
    const publicationCreated = await ensurePublication(executor, config.relayPublication, 'outbox');
    const slotCreated = await createSlot(config);
    const topics = await deploymentTopics(config, executor);
    const topicsCreated = await ensureTopics(deps.kafka, topics, config.kafkaTopicPartitions);
    const acls = await ensureAcls(deps.kafka, componentAcls(config, topics));
    return {
      migrations,
      grantedTo: presence === 'all' ? Object.values(roles).filter((name) => name !== roles.owner) : undefined,
      publicationCreated,
      slotCreated,
      topicsCreated,
      acls,
    };
  } finally {
    await owner.end();
  }
}

async function createSlot(config: Config): Promise<boolean> {
  const relay = new Pool({ connectionString: withSessionOptions(databaseOf(config, 'relay').url), max: 1 });
  try {
    return await ensureSlot(pgExecutor(relay), config.relaySlot);
  } finally {
    await relay.end();
  }
}

/** The report as the CLI prints it, one line per step. */
export function describeSetup(report: SetupReport, config: Config): string[] {
  return [
    report.migrations.length === 0
      ? 'migrations: up to date'
      : `migrations: ran ${report.migrations.join(', ')}`,
    report.grantedTo === undefined
      ? `grants: none (no ${config.dbRolePrefix}* roles: a single-role setup; \`tributary db roles\` creates them)`
      : `grants: applied to ${report.grantedTo.join(', ')}`,
    `publication ${config.relayPublication}: ${report.publicationCreated ? 'created' : 'exists'}`,
    `replication slot ${config.relaySlot}: ${report.slotCreated ? 'created' : 'exists'}`,
    report.topicsCreated.length === 0
      ? 'topics: all exist'
      : `topics: created ${report.topicsCreated.join(', ')}`,
    report.acls === 'no-authorizer'
      ? 'kafka acls: none (the cluster runs without an authorizer)'
      : `kafka acls: ${report.acls} for ${config.kafkaUserPrefix}relay, search, reporting, verify, saga`,
  ];
}
