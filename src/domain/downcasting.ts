import { TributaryError } from '../errors';

/**
 * The way back down the version chain, for readers that only know an older version of an event type: a
 * downcaster turns the data of version N + 1 into the data of version N. Stored events never go through one
 * (the event store only upcasts, see upcasting.ts); consumers of the topics that are still on an older
 * version do, through `toVersion` of `tributary/consumer`.
 *
 * Downcasting loses what the older version had no room for (a field added in N + 1), so it is a courtesy for
 * a deprecation window (docs/integrators.md), never a second source of truth: a downcaster of version N exists
 * while version N is still supported, and is removed afterwards. Upcasters are never removed.
 */

/** Turns the data of one schema version into the data of the version below it. Pure. */
export type Downcaster = (data: unknown) => unknown;

/** Per event type, the downcaster that goes *from* each version to version − 1. */
export type DowncasterChain = Record<string /* event type */, Record<number /* from version */, Downcaster>>;

function own<T>(record: Record<string | number, T>, key: string | number): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Brings `data` of `type` from `fromVersion` down to `toVersion` (≤ fromVersion) by applying each step of
 * `chain` in turn. Throws `input.invalid` when a version is not a positive integer, when `toVersion` is above
 * `fromVersion`, or when a step is missing (the older version is out of its deprecation window).
 */
export function downcast(
  type: string,
  fromVersion: number,
  toVersion: number,
  data: unknown,
  chain: DowncasterChain,
): unknown {
  const details = { type, fromVersion, toVersion };
  for (const version of [fromVersion, toVersion]) {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new TributaryError('input.invalid', `${type} has an invalid schema version ${version}`, {
        details,
      });
    }
  }
  if (toVersion > fromVersion) {
    throw new TributaryError(
      'input.invalid',
      `cannot downcast ${type} from version ${fromVersion} up to ${toVersion}: upcast instead`,
      { details },
    );
  }
  const steps = own(chain, type) ?? {};
  let downcasted = data;
  for (let version = fromVersion; version > toVersion; version--) {
    const step = own(steps, version);
    if (step === undefined) {
      throw new TributaryError(
        'input.invalid',
        `${type} has no downcaster from version ${version} to ${version - 1}: version ${version - 1} is no longer supported`,
        { details: { ...details, missingFrom: version } },
      );
    }
    downcasted = step(downcasted);
  }
  return downcasted;
}
