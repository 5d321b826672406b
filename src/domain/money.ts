import { invalid } from './guards';

/**
 * Money is an integer number of minor units (cents, pence, yen) with an ISO 4217 currency code:
 * integers add exactly, and the currency travels with every amount so amounts of different
 * currencies are never added together.
 */
export type Money = { readonly amount: number; readonly currency: string };

let knownCurrencies: ReadonlySet<string> | undefined;

// Built on first use: ICU's list is fixed for the life of the process.
function currencies(): ReadonlySet<string> {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies;
}

/** True for an upper-case three-letter code that the runtime's ICU data knows (e.g. `EUR`). */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && currencies().has(value);
}

/** Returns `value` as a currency code, or rejects the command with `domain.validation`. */
export function requireCurrency(value: unknown, field = 'currency'): string {
  if (!isCurrencyCode(value)) {
    return invalid(`${field} must be an upper-case ISO 4217 currency code`, { field, value });
  }
  return value;
}

/** Whether zero is an acceptable amount (a free item is; a payment of nothing is not). */
export type AmountOptions = { readonly allowZero: boolean };

/** Returns `value` as an amount in minor units: a safe integer, never negative, zero only if allowed. */
export function requireAmount(value: unknown, field: string, options: AmountOptions): number {
  const lowest = options.allowZero ? 0 : 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lowest) {
    const expected = options.allowZero ? 'a non-negative integer' : 'a positive integer';
    return invalid(`${field} must be ${expected} number of minor units`, { field, value });
  }
  return value;
}

/** Builds a validated `Money`. */
export function money(amount: unknown, currency: unknown, options: AmountOptions): Money {
  return { amount: requireAmount(amount, 'amount', options), currency: requireCurrency(currency) };
}

// Past 2^53 integers stop being exact, and a wrong total is worse than a rejected command.
function requireSafe(result: number, field: string): number {
  if (!Number.isSafeInteger(result)) {
    return invalid(`${field} exceeds the largest exact integer`, { field, value: result });
  }
  return result;
}

/** `unitAmount × quantity`, rejected with `domain.validation` if the product is not exact. */
export function multiplyAmount(unitAmount: number, quantity: number, field = 'amount'): number {
  return requireSafe(unitAmount * quantity, field);
}

/** The exact sum of amounts in minor units, rejected with `domain.validation` if not exact. */
export function sumAmounts(amounts: Iterable<number>, field = 'amount'): number {
  let total = 0;
  for (const amount of amounts) total = requireSafe(total + amount, field);
  return total;
}
