import { TributaryError } from '../errors';

/**
 * Stored events are never rewritten. When the shape of an event's data changes, its schema version
 * goes up and an upcaster turns data of the previous version into the next one; the event store
 * applies the chain on read, so `evolve` and projections only ever see the current version.
 */

/** Turns the data of one schema version into the data of the next version. Pure. */
export type Upcaster = (data: unknown) => unknown;

/** Per event type, the upcaster that goes *from* each version to version + 1. */
export type UpcasterChain = Record<string /* event type */, Record<number /* from version */, Upcaster>>;

/**
 * The version `decide` writes today, per event type. A type without an entry has never evolved and
 * is at version 1, so only types that did evolve need to be listed.
 */
export type SchemaVersions = Record<string /* event type */, number>;

/** An event's data brought to the current schema version. */
export type Upcasted = { readonly schemaVersion: number; readonly data: unknown };

// Event types come from stored rows; `Object.hasOwn` keeps a type named e.g. `constructor` from
// resolving to something on Object.prototype.
function own<T>(record: Record<string | number, T>, key: string | number): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The schema version events of `type` are written at today. */
export function currentVersionOf(type: string, current: SchemaVersions): number {
  return own(current, type) ?? 1;
}

/**
 * Brings `data`, stored at `schemaVersion`, to the current version of `type` by applying each step
 * of `chain` in turn. Throws `input.invalid` when the stored version is not a positive integer, is
 * newer than this code knows (written by a newer deployment: reading it would lose data), or when a
 * step of the chain is missing.
 */
export function upcast(
  type: string,
  schemaVersion: number,
  data: unknown,
  chain: UpcasterChain,
  current: SchemaVersions,
): Upcasted {
  const target = currentVersionOf(type, current);
  const details = { type, schemaVersion, currentVersion: target };
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new TributaryError('input.invalid', `${type} has an invalid schema version ${schemaVersion}`, {
      details,
    });
  }
  if (schemaVersion > target) {
    throw new TributaryError(
      'input.invalid',
      `${type} schema version ${schemaVersion} is newer than the known version ${target}`,
      { details },
    );
  }
  const steps = own(chain, type) ?? {};
  let version = schemaVersion;
  let upcasted = data;
  while (version < target) {
    const step = own(steps, version);
    if (step === undefined) {
      throw new TributaryError('input.invalid', `${type} has no upcaster from version ${version}`, {
        details: { ...details, missingFrom: version },
      });
    }
    upcasted = step(upcasted);
    version += 1;
  }
  return { schemaVersion: version, data: upcasted };
}

/**
 * Merges per-aggregate registries (upcaster chains, schema versions) into the one the event store
 * uses. Event type names are global, so two aggregates claiming the same type is a bug worth failing
 * loudly on.
 */
export function mergeByEventType<T>(...registries: Record<string, T>[]): Record<string, T> {
  const merged: Record<string, T> = {};
  for (const registry of registries) {
    for (const [type, entry] of Object.entries(registry)) {
      if (Object.hasOwn(merged, type)) {
        throw new TributaryError('internal', `event type ${type} is registered twice`);
      }
      merged[type] = entry;
    }
  }
  return merged;
}
