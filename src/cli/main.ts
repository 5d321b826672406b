#!/usr/bin/env node
import { GATEWAY_USAGE, gatewayCommand } from './gateway';
import { loadConfig, type Config } from '../config';
import { TributaryError, toTributaryError } from '../errors';
import { Pool } from 'pg';

import { migrate } from '../db/data-source';
import { pgExecutor } from '../db/executor';
import { pruneOutbox } from '../outbox';
import * as stack from '../stack';
import { AUTH_USAGE, authCommand } from './auth';
import { deadLettersCommand, projectCommand, rebuildCommand } from './project';
import { relayCommand } from './relay';
import { SCHEMAS_USAGE, schemasCommand } from './schemas';
import { SAGA_USAGE, sagaCommand } from './saga';
import { verifyCommand } from './verify';
import { CRUD_USAGE, crudCommand } from './backfill';
import { configCommand } from './config-page';
import { demoCommand } from './demo';
import { serve } from './serve';
import { withSessionOptions } from '../db/pool';
import { silenceKnownWarnings } from '../observability';
import { describeSetup, runSetup } from '../setup';
import { databaseUrlFor } from './database';
import { dbCommand } from './db';
import { kafkaClient } from '../clients';

/**
 * The one entry point: a subcommand per job. Errors end the program with one readable line on stderr
 * and a non-zero exit code, never a stack trace.
 */

const USAGE = `usage: tributary <command>

commands:
  demo [--exit-after-tour] [--commands N] [--customers N] [--rate N] [--logs DIR]
                                 stack up, then the API, relay and both projectors, a workload and a tour
                                 of the results; runs until Ctrl-C (npm start)
  serve                          the HTTP API (after setup)
  stack up [service...]          start PostgreSQL, Kafka and Elasticsearch (idempotent)
  stack down [service...]        stop them; nothing of ours is left running
  stack status [service...]      version, port and health of each service
  stack logs [service...] [-n N] the last N lines (default 50) of each service's log
  migrate                        run pending database migrations (as the owner: MIGRATE_DATABASE_URL)
  setup                          migrations, grants, the relay's publication and slot, the Kafka topics:
                                 what serve, relay and project need; run it before them (idempotent)
  db roles                       create the PostgreSQL role of each component (as an admin: DATABASE_URL)
  relay                          stream the outbox to Kafka as CloudEvents until SIGINT/SIGTERM
  relay status                   slot position, lag and warnings
  relay slot create              create the slot now (setup does; before the first write)
  relay slot drop                drop the relay's replication slot (decommissioning)
  relay dead-letters list        records the relay could not publish, with how many each parks
  relay dead-letters replay ID   publish a dead letter and its parked records in order, mark them resolved
  relay dead-letters skip ID     mark a dead letter skipped and publish the records parked behind it
  project search|reporting       run a projector (Kafka consumer group) until SIGINT/SIGTERM
  rebuild search|reporting       rebuild a read model from the event store, then swap it in (no downtime)
  dead-letters list [--projector P] [--status parked|replayed] [--aggregate ID]
                                 what the projectors dead-lettered, oldest first
  dead-letters replay P [--aggregate ID]
                                 apply P's parked dead letters again (after a fix), in order; unpark what passes
  verify [--since T] [--checks kafka,search,reporting,saga] [--gateway]
                                 compare Kafka and the read models with the event store, check the sagas
                                 (--gateway: against its captures too); exit 5 when anything is off
  outbox prune                   delete outbox rows proven published (slot RELAY_SLOT) and older than OUTBOX_RETENTION_MIN_AGE_MS
  config [--write]               the configuration table (Markdown); --write updates docs/configuration.md
${CRUD_USAGE}
${SCHEMAS_USAGE}
${AUTH_USAGE}
${GATEWAY_USAGE}
${SAGA_USAGE}

services: postgres, kafka, elasticsearch`;

const say = (line: string) => process.stdout.write(`${line}\n`);

function usageError(message: string): TributaryError {
  return new TributaryError('input.invalid', `${message}\n${USAGE}`);
}

async function stackCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const config = loadConfig();
  switch (verb) {
    case 'up':
      await stack.up(config, say, rest);
      say(stack.formatStatus(await stack.status(config, rest)));
      return 0;
    case 'down':
      await stack.down(config, say, rest);
      return 0;
    case 'status': {
      const statuses = await stack.status(config, rest);
      say(stack.formatStatus(statuses));
      return statuses.every((s) => s.health.healthy) ? 0 : 3;
    }
    case 'logs': {
      const at = rest.findIndex((arg) => arg === '-n' || arg === '--lines');
      const lines = at >= 0 ? Number(rest[at + 1]) : 50;
      if (!Number.isInteger(lines) || lines < 0) throw usageError('-n needs a non-negative integer');
      const names = at >= 0 ? [...rest.slice(0, at), ...rest.slice(at + 2)] : rest;
      for (const log of stack.logs(config, names, lines)) say(`==> ${log.file} <==\n${log.tail}`);
      return 0;
    }
    default:
      throw usageError(verb ? `unknown stack command '${verb}'` : 'stack needs a command');
  }
}

async function outboxCommand(args: string[]): Promise<number> {
  if (args[0] !== 'prune') throw usageError(`unknown outbox command '${args[0] ?? ''}'`);
  const config = loadConfig();
  // Retention deletes outbox rows: maintenance, the owner's.
  const pool = new Pool({ connectionString: withSessionOptions(databaseUrlFor(config, 'migrate')), max: 1 });
  try {
    const result = await pruneOutbox(pgExecutor(pool), {
      slotName: config.relaySlot,
      minAgeMs: config.outboxRetentionMinAgeMs,
    });
    say(
      `outbox prune: deleted ${result.deleted} published rows (slot ${config.relaySlot} confirmed ${result.confirmedLsn})`,
    );
    return 0;
  } finally {
    await pool.end();
  }
}

async function setupCommand(config: Config): Promise<number> {
  const kafka = kafkaClient(config, { clientId: 'tributary-setup' });
  for (const line of describeSetup(await runSetup(config, { kafka }), config)) say(line);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      await serve(loadConfig(), say);
      return 0;
    case 'demo':
      return demoCommand(args);
    case 'stack':
      return stackCommand(args);
    case 'config':
      return configCommand(args, say);
    case 'migrate': {
      const ran = await migrate(loadConfig());
      say(ran.length === 0 ? 'migrations: up to date' : `migrations: ran ${ran.join(', ')}`);
      return 0;
    }
    case 'setup':
      return setupCommand(loadConfig());
    case 'db':
      return dbCommand(loadConfig(), args, say);
    case 'outbox':
      return outboxCommand(args);
    case 'relay':
      return relayCommand(loadConfig(), args, say);
    case 'project':
      return projectCommand(loadConfig(), args, say);
    case 'rebuild':
      return rebuildCommand(loadConfig(), args, say);
    case 'dead-letters':
      return deadLettersCommand(loadConfig(), args, say);
    case 'verify':
      return verifyCommand(loadConfig(), args, say);
    case 'auth':
      return authCommand(loadConfig(), args, say);
    case 'gateway':
      return gatewayCommand(loadConfig(), args, say);
    case 'crud':
      return crudCommand(args, say);
    case 'schemas':
      return schemasCommand(args, say);
    case 'saga':
      return sagaCommand(loadConfig(), args, say);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      say(USAGE);
      return 0;
    default:
      throw usageError(`unknown command '${command}'`);
  }
}

if (require.main === module) {
  silenceKnownWarnings();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const failure = toTributaryError(error);
      process.stderr.write(`tributary: ${failure.message}\n`);
      process.exit(failure.code === 'input.invalid' ? 2 : 1);
    },
  );
}
