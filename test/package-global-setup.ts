import { Client } from 'pg';
import { loadConfig } from '../src/config';
import * as stack from '../src/stack';

/**
 * The package tier needs PostgreSQL only (an app migrates and appends through the installed package): use the
 * one DATABASE_URL points at when it answers, otherwise bring the native stack's PostgreSQL up, left running
 * like the other tiers' stack. (Not stack.probe: that probes Kafka too, and throws when the stack's Kafka
 * certificates do not exist yet.)
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig(process.env);
  if (await answers(config.databaseUrl)) return;
  process.stdout.write('\n[package-global-setup] bringing the local stack PostgreSQL up\n');
  await stack.up(config, (line) => process.stdout.write(`[package-global-setup] ${line}\n`), ['postgres']);
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
