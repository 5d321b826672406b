import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config';
import * as stack from '../src/stack';
import { PACKED_TARBALL } from './fixtures/packed';

/**
 * The package tier needs PostgreSQL (an app migrates and appends through the installed package) and Kafka (the
 * example app's relay publishes there): use the ones the configuration points at when they answer, otherwise
 * bring the native stack's PostgreSQL and Kafka up, left running like the other tiers' stack (Elasticsearch
 * is not needed here).
 *
 * It also packs the package once for every spec of the tier (`npm pack`, whose prepack script cleans dist/
 * and builds): two specs packing at once in parallel workers would clean dist/ under each other. The
 * tarball's path is PACKED_TARBALL; test/package-global-teardown.ts removes it.
 */

export default async function globalSetup(): Promise<void> {
  const config = loadConfig(process.env);
  const probe = await stack.probe(config);
  const missing = (['postgres', 'kafka'] as const).filter((service) => probe[service] !== undefined);
  if (missing.length > 0) {
    process.stdout.write(`\n[package-global-setup] bringing the local stack's ${missing.join(' and ')} up\n`);
    await stack.up(config, (line) => process.stdout.write(`[package-global-setup] ${line}\n`), missing);
  }
  const root = resolve(__dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'tributary-packed-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  process.env[PACKED_TARBALL] = join(work, packed!.filename);
}
