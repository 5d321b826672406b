import { loadConfig } from '../src/config';
import * as stack from '../src/stack';

/**
 * Integration and end-to-end tests need the real services: bring the local stack up when it is not
 * running (a no-op in about a second when it is), so the test command works alone on a fresh clone.
 * The stack is left running for the next run; `.ci/run` tears it down.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig(process.env);
  const statuses = await stack.status(config);
  if (statuses.every((s) => s.health.healthy)) return;
  process.stdout.write('\n[global-setup] bringing the local stack up\n');
  await stack.up(config, (line) => process.stdout.write(`[global-setup] ${line}\n`));
}
