import { TributaryError } from '../errors';
import type { IntegrationPayload, PayloadUpcasters } from './order-topic';
import {
  EVENT_CONTRACTS,
  PAYLOAD_UPCASTERS,
  parseSchemaFile,
  schemaFile,
  schemaHash,
  schemaRefsOf,
  type EventContract,
  type SchemaDocument,
} from './schemas';
import { examplesOf } from './schemas-examples';
import { createSchemaRegistry, type SchemaRegistry } from './schemas-registry';

/**
 * The compatibility rules of the schemas, checked in CI (`tributary schemas check`) against the lock file of
 * published schemas (schemas/published.lock.json, written by `tributary schemas publish` at a release):
 *  - a published version never changes, not even by a description: consumers cache it forever;
 *  - every version from 1 to the current one of every event type has a schema, and no other file exists;
 *  - every older version is readable by the upcaster chain: generated examples of it, upcast to the
 *    current version, validate against the current schema.
 */

/** The lock file: each published schema's content hash. */
export interface SchemaLock {
  schemas: Record<string /* path under schemas/ */, string /* sha256:<hex> */>;
}

export interface CheckInput {
  documents: ReadonlyMap<string, SchemaDocument>;
  lock: SchemaLock;
  contracts?: readonly EventContract[];
  upcasters?: PayloadUpcasters;
  /** Examples generated per older version (default 200). */
  examples?: number;
}

/** Checks the rules; returns one line per problem (empty when all hold). */
export function checkSchemas(input: CheckInput): string[] {
  const contracts = input.contracts ?? EVENT_CONTRACTS;
  const problems = [
    ...lockProblems(input.documents, input.lock),
    ...fileProblems(input.documents, contracts),
  ];
  let registry: SchemaRegistry;
  try {
    registry = createSchemaRegistry(input.documents);
  } catch (error) {
    return [...problems, (error as Error).message];
  }
  for (const contract of contracts) {
    problems.push(
      ...upcastProblems(contract, registry, input.upcasters ?? PAYLOAD_UPCASTERS, input.examples ?? 200),
    );
  }
  return problems;
}

function lockProblems(documents: ReadonlyMap<string, SchemaDocument>, lock: SchemaLock): string[] {
  const problems: string[] = [];
  for (const [file, hash] of Object.entries(lock.schemas)) {
    const document = documents.get(file);
    if (document === undefined) {
      problems.push(`schemas/${file}: published, but missing (a published version is served forever)`);
    } else if (schemaHash(document) !== hash) {
      const ref = parseSchemaFile(file);
      const next = ref ? ` add v${ref.schemaVersion + 1} with an upcaster instead` : '';
      problems.push(`schemas/${file}: published version changed (its hash is no longer ${hash});${next}`);
    }
  }
  return problems;
}

function fileProblems(
  documents: ReadonlyMap<string, SchemaDocument>,
  contracts: readonly EventContract[],
): string[] {
  const expected = new Set(schemaRefsOf(contracts).map(schemaFile));
  const problems: string[] = [];
  for (const file of expected) {
    if (!documents.has(file))
      problems.push(`schemas/${file}: missing (every version up to the current one needs a schema)`);
  }
  for (const file of documents.keys()) {
    if (!expected.has(file)) {
      problems.push(
        `schemas/${file}: no such event type and version in the code (registry of schema versions)`,
      );
    }
  }
  return problems;
}

/** Examples of each older version, upcast step by step, must match the current version's schema. */
function upcastProblems(
  contract: EventContract,
  registry: SchemaRegistry,
  upcasters: PayloadUpcasters,
  count: number,
): string[] {
  const { aggregateType, eventType, currentVersion } = contract;
  const current = { aggregateType, eventType, schemaVersion: currentVersion };
  const problems: string[] = [];
  for (let version = 1; version < currentVersion; version++) {
    const older = registry.get(schemaFile({ aggregateType, eventType, schemaVersion: version }));
    if (older === undefined || registry.get(schemaFile(current)) === undefined) continue;
    const label = `${eventType} v${version} → v${currentVersion}`;
    try {
      for (const example of examplesOf(older.document, count, version)) {
        const upcast = upcastPayload(
          eventType,
          version,
          currentVersion,
          example as IntegrationPayload,
          upcasters,
        );
        const mismatch = registry.validate(current, upcast);
        if (mismatch !== undefined) {
          problems.push(
            `${label}: an upcast example does not match the v${currentVersion} schema: ${mismatch}`,
          );
          break;
        }
      }
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Applies the payload upcasters of `eventType` from `from` to `to`. Throws when a step is missing. */
export function upcastPayload(
  eventType: string,
  from: number,
  to: number,
  payload: IntegrationPayload,
  upcasters: PayloadUpcasters,
): IntegrationPayload {
  let current = payload;
  for (let version = from; version < to; version++) {
    const step = Object.hasOwn(upcasters, eventType) ? upcasters[eventType]![version] : undefined;
    if (step === undefined) {
      throw new TributaryError('input.invalid', `no upcaster from version ${version} to ${version + 1}`);
    }
    current = step(current);
  }
  return current;
}
