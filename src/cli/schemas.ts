import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config';
import { DLQ_HEADERS } from '../projections/runtime';
import {
  asyncApiDocument,
  checkSchemas,
  createSchemaRegistry,
  EVENT_CONTRACTS,
  ORDER_AGGREGATE_TYPE,
  schemaDocumentOf,
  schemaFile,
  schemaHash,
  type EventContract,
  type SchemaDocument,
  type SchemaLock,
  type SchemaRegistry,
} from '../contracts';
import { TributaryError } from '../errors';

/**
 * The schema files on disk: loading them for the API and the relay, and `tributary schemas
 * write|check|publish`, the commands that keep them and the lock file of published versions right.
 */

/** The lock file of published schemas, inside the schemas directory. */
export const LOCK_FILE = 'published.lock.json';

/** The TypeScript file the current versions' schemas are generated from. */
export const PAYLOAD_TYPES_FILE = 'src/contracts/schemas-payloads.ts';

/** schemas/ of this checkout or installed package (beside src/ when run by tsx, beside dist/ when built). */
export function defaultSchemasDir(): string {
  const fromSource = resolve(__dirname, '../../schemas');
  return existsSync(join(fromSource, LOCK_FILE)) ? fromSource : resolve(__dirname, '../../../schemas');
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TributaryError('config.invalid', `${path}: ${(error as Error).message}`, { cause: error });
  }
}

function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json') && file !== LOCK_FILE)
    .map((file) => file.split(sep).join('/'))
    .sort();
}

/** Every schema under `dir`, by its path relative to it (`order/OrderCreated/v2.json`). */
export function loadSchemaDocuments(dir: string = defaultSchemasDir()): Map<string, SchemaDocument> {
  if (!existsSync(dir)) throw new TributaryError('config.invalid', `no schemas directory at ${dir}`);
  const documents = new Map<string, SchemaDocument>();
  for (const file of jsonFilesUnder(dir)) {
    const document = readJson(join(dir, file));
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new TributaryError('config.invalid', `${join(dir, file)}: a JSON Schema must be an object`);
    }
    documents.set(file, document as SchemaDocument);
  }
  return documents;
}

/** The compiled schemas of `dir`: what `serve` serves and the relay validates against. */
export function loadSchemaRegistry(dir: string = defaultSchemasDir()): SchemaRegistry {
  return createSchemaRegistry(loadSchemaDocuments(dir));
}

/** The package's version (package.json beside schemas/). */
function packageVersion(dir: string): string {
  const path = join(dir, '..', 'package.json');
  return existsSync(path) ? String((readJson(path) as { version?: unknown }).version ?? '0.0.0') : '0.0.0';
}

/**
 * What the API serves of the contracts: the schemas of `dir`, and the AsyncAPI document of the deployment's
 * topics as `config` names them (topic prefix, source, type prefix, dataschema base, content mode). Dead-letter
 * topics: the order topic's, which the projectors write.
 */
export function contractsFor(
  config: Config,
  dir: string = defaultSchemasDir(),
): { registry: SchemaRegistry; asyncapi: Record<string, unknown> } {
  const registry = loadSchemaRegistry(dir);
  const asyncapi = asyncApiDocument({
    registry,
    topicPrefix: config.topicPrefix,
    source: config.cloudEventSource,
    typePrefix: config.cloudEventTypePrefix,
    dataschemaBase: config.cloudEventDataschemaBase || undefined,
    mode: config.cloudEventMode,
    deadLetters: { aggregateTypes: [ORDER_AGGREGATE_TYPE], headers: DLQ_HEADERS },
    version: packageVersion(dir),
  });
  return { registry, asyncapi };
}

/** The lock file of `dir` (no file: nothing published yet). */
export function loadLock(dir: string): SchemaLock {
  const path = join(dir, LOCK_FILE);
  if (!existsSync(path)) return { schemas: {} };
  const lock = readJson(path) as Partial<SchemaLock>;
  if (typeof lock.schemas !== 'object' || lock.schemas === null) {
    throw new TributaryError('config.invalid', `${path}: expected { "schemas": { "<path>": "sha256:…" } }`);
  }
  return { schemas: lock.schemas };
}

/**
 * The schemas of the current versions, generated from their TypeScript payload types (needs the
 * development dependency ts-json-schema-generator and this repository's sources).
 */
export async function generateCurrentSchemas(
  root: string = resolve(__dirname, '../..'),
  contracts: readonly EventContract[] = EVENT_CONTRACTS,
): Promise<Map<string, SchemaDocument>> {
  let generator: typeof import('ts-json-schema-generator');
  try {
    generator = await import('ts-json-schema-generator');
  } catch (error) {
    throw new TributaryError(
      'input.invalid',
      'schemas write needs a development checkout (ts-json-schema-generator)',
      {
        cause: error,
      },
    );
  }
  const create = generator.createGenerator({
    path: join(root, PAYLOAD_TYPES_FILE),
    tsconfig: join(root, 'tsconfig.json'),
    type: '*',
    expose: 'none',
    topRef: false,
    jsDoc: 'extended',
    additionalProperties: false,
    skipTypeCheck: true,
  });
  const documents = new Map<string, SchemaDocument>();
  for (const contract of contracts) {
    const ref = { ...contract, schemaVersion: contract.currentVersion };
    const generated = create.createSchema(contract.payloadType) as SchemaDocument;
    documents.set(schemaFile(ref), schemaDocumentOf(ref, generated));
  }
  return documents;
}

async function formatted(path: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    return await prettier.format(text, { ...((await prettier.resolveConfig(path)) ?? {}), filepath: path });
  } catch {
    return text;
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await formatted(path, `${JSON.stringify(value, null, 2)}\n`));
}

/** Usage of `tributary schemas`. */
export const SCHEMAS_USAGE = `  schemas write [--dir D]        generate the current versions' schemas from their TypeScript types
  schemas check [--dir D]        compare the schemas with the published ones (lock file) and prove every
                                 older version upcasts to the newest; one line per problem, exit 4
  schemas publish [--dir D]      after a passing check, record every schema as published (at a release)`;

/** `tributary schemas write|check|publish [--dir D]`. */
export async function schemasCommand(args: string[], say: (line: string) => void): Promise<number> {
  const [verb, ...rest] = args;
  const at = rest.indexOf('--dir');
  const dir = at >= 0 && rest[at + 1] ? resolve(rest[at + 1]!) : defaultSchemasDir();
  switch (verb) {
    case 'write': {
      for (const [file, document] of await generateCurrentSchemas()) {
        await writeJson(join(dir, file), document);
        say(`wrote ${relative(process.cwd(), join(dir, file))}`);
      }
      return 0;
    }
    case 'check':
    case 'publish': {
      const documents = loadSchemaDocuments(dir);
      const problems = checkSchemas({ documents, lock: loadLock(dir) });
      for (const problem of problems) say(problem);
      if (problems.length > 0) return 4;
      if (verb === 'publish') {
        const schemas = Object.fromEntries([...documents].map(([file, doc]) => [file, schemaHash(doc)]));
        await writeJson(join(dir, LOCK_FILE), { schemas });
      }
      say(`schemas ${verb}: ${documents.size} schemas ${verb === 'publish' ? 'published' : 'compatible'}`);
      return 0;
    }
    default:
      throw new TributaryError('input.invalid', `schemas needs write, check or publish\n${SCHEMAS_USAGE}`);
  }
}
