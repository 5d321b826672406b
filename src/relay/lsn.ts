import { TributaryError } from '../errors';

/**
 * PostgreSQL log sequence numbers (LSNs): a 64-bit WAL position written as two hex halves, `X/Y`.
 *
 * Why a module of its own: the same LSN reaches us as `0/16B3748` (PostgreSQL, `pg_lsn` columns) and as
 * `00000000/016B3748` (pg-logical-replication pads both halves). Comparing those strings lexically is wrong
 * in both directions, so every comparison goes through a bigint.
 */

/** Both halves: 1 to 8 hex digits (32 bits each), case-insensitive, padded or not. */
const LSN_PATTERN = /^([0-9a-fA-F]{1,8})\/([0-9a-fA-F]{1,8})$/;
const MAX_LSN = (1n << 64n) - 1n;

/** Parses `X/Y` (padded or not) into its 64-bit position. Throws `input.invalid` on anything else. */
export function parseLsn(lsn: string): bigint {
  const match = typeof lsn === 'string' ? LSN_PATTERN.exec(lsn) : null;
  if (!match) {
    throw new TributaryError('input.invalid', `not an LSN: '${String(lsn)}' (expected hex 'X/Y')`, {
      details: { lsn: String(lsn) },
    });
  }
  const [, high, low] = match as unknown as [string, string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** Formats a position the way PostgreSQL prints `pg_lsn`: uppercase hex, no padding, e.g. `0/16B3748`. */
export function formatLsn(position: bigint): string {
  if (typeof position !== 'bigint' || position < 0n || position > MAX_LSN) {
    throw new TributaryError('input.invalid', `not a 64-bit WAL position: ${String(position)}`, {
      details: { position: String(position) },
    });
  }
  const high = (position >> 32n).toString(16).toUpperCase();
  const low = (position & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

function toPosition(lsn: string | bigint): bigint {
  return typeof lsn === 'bigint' ? lsn : parseLsn(lsn);
}

/** Numeric comparison of two LSNs in any form (string or bigint): -1, 0 or 1. */
export function compareLsn(a: string | bigint, b: string | bigint): -1 | 0 | 1 {
  const x = toPosition(a);
  const y = toPosition(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The highest of the given LSNs, returned in the form it was given (string or bigint). */
export function maxLsn<T extends string | bigint>(first: T, ...rest: T[]): T {
  let max = first;
  for (const lsn of rest) if (compareLsn(lsn, max) > 0) max = lsn;
  return max;
}
