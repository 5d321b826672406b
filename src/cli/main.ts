#!/usr/bin/env node
import { loadConfig, settingsMarkdown } from '../config';
import { TributaryError, toTributaryError } from '../errors';
import * as stack from '../stack';

/**
 * The one entry point: a subcommand per job. Errors end the program with one readable line on stderr
 * and a non-zero exit code, never a stack trace.
 */

const USAGE = `usage: tributary <command>

commands:
  start                          the main job: bring the local stack up and print its status
  stack up [service...]          start PostgreSQL, Kafka and Elasticsearch (idempotent)
  stack down [service...]        stop them; nothing of ours is left running
  stack status [service...]      version, port and health of each service
  stack logs [service...] [-n N] the last N lines (default 50) of each service's log
  config                         the configuration table (Markdown)

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

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return stackCommand(['up']);
    case 'stack':
      return stackCommand(args);
    case 'config':
      say(settingsMarkdown());
      return 0;
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
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const failure = toTributaryError(error);
      process.stderr.write(`tributary: ${failure.message}\n`);
      process.exit(failure.code === 'input.invalid' ? 2 : 1);
    },
  );
}
