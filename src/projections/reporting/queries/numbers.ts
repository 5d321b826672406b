import { TributaryError } from '../../../errors';

/**
 * A bigint or numeric column (node-postgres gives them as strings) as a JavaScript number. Sums beyond
 * 2^53 − 1 minor units (90 trillion in a two-decimal currency) are refused rather than rounded.
 */
export function exactNumber(value: string | number, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new TributaryError(
      'internal',
      `${what} (${value}) is beyond the integers a JSON number holds exactly`,
    );
  }
  return n;
}
