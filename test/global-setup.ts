import { loadConfig } from '../src/config';
import * as stack from '../src/stack';

/**
 * Integration and end-to-end tests need the real services. When the configured PostgreSQL, Kafka and
 * Elasticsearch already answer (this checkout's stack, docker-compose, ...), use them; otherwise bring the
 * native stack up, so the test command works alone on a fresh clone. The stack is left running for the
 * next run; `.ci/run` tears it down.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig(process.env);
  if (stack.allReachable(await stack.probe(config))) return;
  process.stdout.write('\n[global-setup] bringing the local stack up\n');
  await stack.up(config, (line) => process.stdout.write(`[global-setup] ${line}\n`));
}
