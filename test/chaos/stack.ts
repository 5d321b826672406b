import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import * as stack from '../../src/stack';
import { startFaultProxy, type FaultProxy } from './proxy';

/**
 * The chaos suite's own stack: a second native stack in its own folder and on its own ports, so stopping
 * its Kafka, Elasticsearch or PostgreSQL never disturbs the shared stack other tests use (5433, 9092/9093,
 * 9200/9300). A fault proxy sits in front of each service for the whole run; the pipeline's processes only
 * ever talk to the proxies. The Kafka broker advertises its proxy's port, so clients that bootstrap through
 * the proxy also fetch and produce through it (the KRaft controller listener stays direct).
 */

/** CHAOS_PORT_OFFSET moves every port below, so two checkouts on one machine can each run the suite. */
const OFFSET = Number(process.env.CHAOS_PORT_OFFSET ?? '0') || 0;

export const PORTS = {
  postgres: 15433 + OFFSET,
  postgresProxy: 15434 + OFFSET,
  kafka: 19092 + OFFSET,
  kafkaController: 19093 + OFFSET,
  kafkaProxy: 19094 + OFFSET,
  elasticsearch: 19200 + OFFSET,
  elasticsearchTransport: 19300 + OFFSET,
  elasticsearchProxy: 19201 + OFFSET,
  api: 18080 + OFFSET,
  gateway: 18081 + OFFSET,
} as const;

/**
 * CHAOS_STACK_DIR moves it (prefer it to `--stack-dir`: `stack down` stops every process whose command line
 * names the folder, which would include the runner started with that option).
 */
export const DEFAULT_STACK_DIR = process.env.CHAOS_STACK_DIR ?? '/tmp/tributary-chaos/stack';

/** The environment of the chaos stack (what `stack up|down` and the pipeline's processes get). */
export function stackEnvironment(stackDir: string): Record<string, string> {
  return {
    STACK_DIR: resolve(stackDir),
    STACK_PG_PORT: String(PORTS.postgres),
    STACK_KAFKA_PORT: String(PORTS.kafka),
    STACK_KAFKA_CONTROLLER_PORT: String(PORTS.kafkaController),
    STACK_KAFKA_ADVERTISED_PORT: String(PORTS.kafkaProxy),
    STACK_ES_PORT: String(PORTS.elasticsearch),
    STACK_ES_TRANSPORT_PORT: String(PORTS.elasticsearchTransport),
    // Two stacks on two cores and 24 GiB: smaller heaps are plenty for a few thousand events.
    STACK_ES_HEAP_MB: '384',
    STACK_KAFKA_HEAP_MB: '384',
  };
}

export interface ChaosStack {
  /** The stack's configuration (direct addresses; DATABASE_URL names the maintenance database). */
  config: Config;
  env: Record<string, string>;
  proxies: { postgres: FaultProxy; kafka: FaultProxy; elasticsearch: FaultProxy };
  /** Direct (not proxied) URL of database `name`: the harness's own connections. */
  directDatabaseUrl(name: string): string;
  /** URL of database `name` through the PostgreSQL proxy: what the pipeline's processes use. */
  proxiedDatabaseUrl(name: string): string;
  /** Kafka bootstrap through the proxy (all Kafka traffic goes through it, whatever the bootstrap). */
  kafkaBrokers: string[];
  directElasticsearchUrl: string;
  proxiedElasticsearchUrl: string;
  up(services?: ServiceName[]): Promise<void>;
  down(services?: ServiceName[]): Promise<void>;
  status(): Promise<stack.ServiceStatus[]>;
  /** Stops every service and closes the proxies. */
  close(): Promise<void>;
}

export type ServiceName = 'postgres' | 'kafka' | 'elasticsearch';

export async function openChaosStack(stackDir: string, say: (line: string) => void): Promise<ChaosStack> {
  const env = stackEnvironment(stackDir);
  const config = loadConfig({
    ...process.env,
    ...env,
    DATABASE_URL: databaseUrl(stackDir, PORTS.postgres, 'postgres'),
  });
  // The proxies first: the broker advertises one of them, so nothing reaches Kafka without it.
  const proxies = {
    postgres: await startFaultProxy('postgres', PORTS.postgresProxy, PORTS.postgres),
    kafka: await startFaultProxy('kafka', PORTS.kafkaProxy, PORTS.kafka),
    elasticsearch: await startFaultProxy('elasticsearch', PORTS.elasticsearchProxy, PORTS.elasticsearch),
  };
  const report = (line: string) => say(`stack: ${line}`);
  return {
    config,
    env,
    proxies,
    directDatabaseUrl: (name) => databaseUrl(stackDir, PORTS.postgres, name),
    proxiedDatabaseUrl: (name) => databaseUrl(stackDir, PORTS.postgresProxy, name),
    kafkaBrokers: [`127.0.0.1:${PORTS.kafkaProxy}`],
    directElasticsearchUrl: `https://127.0.0.1:${PORTS.elasticsearch}`,
    proxiedElasticsearchUrl: `https://127.0.0.1:${PORTS.elasticsearchProxy}`,
    up: (services) => stack.up(config, report, services),
    down: (services) => stack.down(config, report, services),
    status: () => stack.status(config),
    async close() {
      try {
        await stack.down(config, report);
      } finally {
        await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      }
    },
  };
}

/** The superuser's URL, with the password the stack generated (read when asked: `up` may just have made it). */
function databaseUrl(stackDir: string, port: number, name: string): string {
  const file = join(resolve(stackDir), 'secrets', 'postgres.password');
  const password = existsSync(file) ? `:${encodeURIComponent(readFileSync(file, 'utf8').trim())}` : '';
  return `postgres://postgres${password}@127.0.0.1:${port}/${name}`;
}
