import type { Admin } from 'kafkajs';
import { Client } from 'pg';
import type { Config } from '../config';
import { describeSecurityFailure, elasticsearchClient, kafkaClient } from '../clients';

/**
 * Whether the services the configuration points at answer, whoever runs them: this checkout's native
 * stack, another checkout's, or docker-compose. Used by the test harness to decide whether to start the
 * native stack.
 */
export interface Probe {
  postgres: string | undefined;
  kafka: string | undefined;
  elasticsearch: string | undefined;
}

/** Each service's problem, or undefined when it answers and is fit for the pipeline. */
export async function probe(config: Config): Promise<Probe> {
  const [postgres, kafka, elasticsearch] = await Promise.all([
    probePostgres(config),
    probeKafka(config),
    probeElasticsearch(config),
  ]);
  return { postgres, kafka, elasticsearch };
}

export const allReachable = (result: Probe) =>
  Object.values(result).every((problem) => problem === undefined);

async function probePostgres(config: Config): Promise<string | undefined> {
  const url = new URL(config.databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ wal_level: string }>(
      `select current_setting('wal_level') as wal_level`,
    );
    return rows[0]?.wal_level === 'logical' ? undefined : `wal_level is ${rows[0]?.wal_level}, not logical`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    // The probe's answer is the result; ending a client that never connected may fail too.
    await client.end().catch(() => undefined);
  }
}

async function probeKafka(config: Config): Promise<string | undefined> {
  let admin: Admin;
  try {
    admin = kafkaClient(config, {
      clientId: 'tributary-probe',
      connectionTimeout: 2_000,
      retry: { retries: 0 },
    }).admin();
  } catch (error) {
    // On a fresh clone the stack's CA and passwords do not exist yet: not reachable (yet); `stack up` makes them.
    return (error as Error).message;
  }
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    // The probe's answer is the result; a failed disconnect of a failed admin adds nothing to it.
    await admin.disconnect().catch(() => undefined);
  }
}

async function probeElasticsearch(config: Config): Promise<string | undefined> {
  let client: ReturnType<typeof elasticsearchClient>;
  try {
    client = elasticsearchClient(config, { requestTimeout: 3_000, maxRetries: 0 });
  } catch (error) {
    // On a fresh clone the stack's CA does not exist yet: not reachable (yet), and `stack up` makes it.
    return (error as Error).message;
  }
  try {
    const health = await client.cluster.health();
    return health.status === 'red' ? 'cluster status red' : undefined;
  } catch (error) {
    return describeSecurityFailure(error) ?? (error as Error).message;
  } finally {
    await client.close();
  }
}
