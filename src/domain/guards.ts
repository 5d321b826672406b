import { TributaryError } from '../errors';

/**
 * Small checks shared by the aggregates. Commands arrive from outside (HTTP, consumers), so `decide`
 * re-checks every field it relies on instead of trusting TypeScript types at runtime.
 */

/** Rejects a malformed command: the same command would fail against any state. */
export function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new TributaryError('domain.validation', message, { details });
}

/** Rejects a well-formed command that the aggregate's current state does not allow. */
export function forbidden(message: string, details: Record<string, unknown> = {}): never {
  throw new TributaryError('domain.rule', message, { details });
}

/** U+0000 and unpaired UTF-16 surrogates: PostgreSQL's jsonb cannot store either. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /[\u0000\ud800-\udfff]/u;

/**
 * A non-empty string once trimmed, storable in jsonb; returned as given (trimming would silently change
 * ids).
 */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    return invalid(`${field} must be a non-empty string`, { field });
  }
  // PostgreSQL's jsonb cannot store U+0000 or an unpaired surrogate: refuse them as input, not as a crash.
  if (UNSTORABLE.test(value)) {
    return invalid(`${field} must not contain NUL characters or unpaired UTF-16 surrogates`, { field });
  }
  return value;
}

/** A positive safe integer (quantities, amounts that must be above zero). */
export function requirePositiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    return invalid(`${field} must be a positive integer`, { field, value });
  }
  return value;
}

// Date-time with an explicit offset, as `Date.prototype.toISOString` and RFC 3339 write it. A bare
// date or a local time would be read differently on different machines, so it is rejected.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

// `Date.parse` rolls 2024-02-30 over to March 1st; a business time that names no real day is a typo.
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An ISO 8601 timestamp with a time zone, e.g. `2024-05-01T12:00:00.000Z`. */
export function requireTimestamp(value: unknown, field: string): string {
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  if (match === null || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    return invalid(`${field} must be an ISO 8601 timestamp with a time zone`, { field, value });
  }
  return match[0];
}

/** One of a closed set of string values. */
export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    return invalid(`${field} must be one of ${allowed.join(', ')}`, { field, value });
  }
  return value as T;
}

/**
 * The command handler loads a stream by the id in the command; a different id in the loaded state
 * means the handler wired the wrong stream, which is a bug rather than a user error.
 */
export function requireSameStream(expected: string, actual: string, field: string): void {
  if (expected !== actual) {
    throw new TributaryError('internal', `${field} ${actual} does not match the loaded stream ${expected}`, {
      details: { field, expected, actual },
    });
  }
}
