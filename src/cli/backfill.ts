import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { DataSource, ObjectLiteral } from 'typeorm';
import { backfill, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, type CrudConfig } from '../crud';
import type { SubscribedEntity } from '../crud';
import { TributaryError, toTributaryError } from '../errors';
import { barDisplay, lineDisplay, summaryLine, type ProgressDisplay } from './backfill-progress';

/**
 * `crud backfill <entity> [--config PATH] [--chunk-size N]`: imports the entity's existing rows (one import
 * event per row) with the app's own DataSource, event store and subscriber mapping, which the config module
 * exports (docs/backfill.md). SIGINT/SIGTERM stop it after the chunk in flight; a later run resumes there.
 */

export const CRUD_USAGE = `  crud backfill <entity> [--config PATH] [--chunk-size N]
                                 one <Entity>Imported event per existing row (resumable, idempotent);
                                 PATH: a module exporting { dataSource, store, entities } (default
                                 ./tributary.config.js); see docs/backfill.md`;

export const DEFAULT_CONFIG_PATH = './tributary.config.js';

export interface BackfillArgs {
  entity: string;
  configPath: string;
  chunkSize: number;
}

/** The command's arguments (pure): the entity's name and the options, or one readable error. */
export function parseBackfillArgs(args: readonly string[]): BackfillArgs {
  let entity: string | undefined;
  let configPath = DEFAULT_CONFIG_PATH;
  let chunkSize = DEFAULT_CHUNK_SIZE;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.startsWith('--') ? args[i]!.split(/=(.*)/s, 2) : [args[i]!];
    const value = () => {
      const given = inline ?? args[++i];
      if (given === undefined || given === '') throw invalid(`${flag} needs a value`);
      return given;
    };
    if (flag === '--config') configPath = value();
    else if (flag === '--chunk-size') chunkSize = chunkSizeOf(value());
    else if (flag!.startsWith('-')) throw invalid(`unknown crud backfill option '${flag}'`);
    else if (entity === undefined) entity = flag;
    else throw invalid(`crud backfill takes one entity, got '${entity}' and '${flag}'`);
  }
  if (entity === undefined)
    throw invalid('crud backfill needs an entity, e.g. tributary crud backfill Customer');
  return { entity, configPath, chunkSize };
}

function chunkSizeOf(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_CHUNK_SIZE) {
    throw invalid(`--chunk-size takes a whole number from 1 to ${MAX_CHUNK_SIZE}, got '${value}'`);
  }
  return n;
}

const invalid = (message: string) => new TributaryError('input.invalid', message);

/** `tributary crud …`. */
export async function crudCommand(args: string[], say: (line: string) => void): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'backfill') {
    throw invalid(
      verb ? `unknown crud command '${verb}': expected backfill` : 'crud needs a command: backfill',
    );
  }
  const options = parseBackfillArgs(rest);
  const config = loadCrudConfig(options.configPath);
  const initialized = await initialize(config.dataSource, options.configPath);
  const display: ProgressDisplay = process.stderr.isTTY ? barDisplay(process.stderr) : lineDisplay(say);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result;
  try {
    result = await backfill(config.dataSource, {
      store: config.store,
      entity: entryNamed(config, options.entity),
      ...(config.outbox ? { outbox: config.outbox } : {}),
      chunkSize: options.chunkSize,
      onProgress: (progress) => display.update(progress),
      signal: stop.signal,
    });
  } finally {
    display.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (initialized) await config.dataSource.destroy().catch(() => undefined);
  }
  say(summaryLine(result));
  return result.finished ? 0 : 130;
}

/** Loads the config module (CommonJS, or ESM without top-level await) and checks what it exports. */
export function loadCrudConfig(path: string): CrudConfig {
  const file = resolve(process.cwd(), path);
  if (!existsSync(file)) {
    throw invalid(
      `--config ${path}: no such file (${file}); it should export { dataSource, store, entities }`,
    );
  }
  let loaded: unknown;
  try {
    loaded = createRequire(file)(file);
  } catch (error) {
    const message = toTributaryError(error).message.split('\n')[0];
    throw invalid(`--config ${path}: loading it failed: ${message}`);
  }
  const config = (loaded as { default?: unknown }).default ?? loaded;
  return checkedConfig(config, path);
}

function checkedConfig(config: unknown, path: string): CrudConfig {
  const { dataSource, store, entities } = (config ?? {}) as Partial<Record<keyof CrudConfig, unknown>>;
  const missing = [
    typeof (dataSource as DataSource | undefined)?.initialize !== 'function' &&
      'dataSource (a TypeORM DataSource)',
    typeof (store as CrudConfig['store'] | undefined)?.append !== 'function' && 'store (an event store)',
    !(Array.isArray(entities) && entities.length > 0) && 'entities (the subscriber mapping)',
  ].filter((name): name is string => name !== false);
  if (missing.length > 0) throw invalid(`--config ${path} does not export ${missing.join(', ')}`);
  return config as CrudConfig;
}

async function initialize(dataSource: DataSource, path: string): Promise<boolean> {
  if (dataSource.isInitialized) return false;
  try {
    await dataSource.initialize();
  } catch (error) {
    const failure = toTributaryError(error);
    throw new TributaryError(
      failure.retriable ? 'infra.unavailable' : 'input.invalid',
      `the data source of ${path} did not initialize: ${failure.message.split('\n')[0]}`,
      { cause: error, retriable: failure.retriable },
    );
  }
  return true;
}

/** The mapping entry an entity name (or aggregate type) names, case-insensitively. */
export function entryNamed(config: CrudConfig, name: string): SubscribedEntity<ObjectLiteral> {
  const wanted = name.toLowerCase();
  const names = config.entities.map((entry) => {
    const metadata = config.dataSource.entityMetadatas.find((m) => isTargetOf(entry, m.target, m.name));
    return { entry, name: metadata?.name ?? String(entry.aggregateType) };
  });
  const found = names.find(
    (candidate) =>
      candidate.name.toLowerCase() === wanted || candidate.entry.aggregateType.toLowerCase() === wanted,
  );
  if (found) return found.entry;
  const known = names.map((candidate) => `${candidate.name} (${candidate.entry.aggregateType})`).join(', ');
  throw invalid(`unknown entity '${name}': the config maps ${known}`);
}

function isTargetOf(entry: SubscribedEntity<ObjectLiteral>, target: unknown, name: string): boolean {
  const wanted = entry.target;
  if (typeof wanted === 'string') return wanted === name;
  if ('options' in wanted) return (wanted.options.target ?? wanted.options.name) === (target ?? name);
  return wanted === target;
}
