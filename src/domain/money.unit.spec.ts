import { TributaryError } from '../errors';
import { isCurrencyCode, money, multiplyAmount, requireAmount, requireCurrency, sumAmounts } from './money';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof TributaryError ? error.code : 'not a TributaryError';
  }
  return undefined;
}

describe('currency codes', () => {
  it.each(['EUR', 'USD', 'JPY', 'GBP'])('%s is an ISO 4217 currency', (code) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(requireCurrency(code)).toBe(code);
  });

  it.each([
    ['lower case', 'eur'],
    ['three letters that are no currency', 'ZZZ'],
    ['too long', 'EURO'],
    ['too short', 'EU'],
    ['not a string', 978],
  ])('a code that is %s is rejected as malformed', (_, code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(codeOf(() => requireCurrency(code))).toBe('domain.validation');
  });
});

describe('amounts in minor units', () => {
  it('zero is allowed only where the caller allows it', () => {
    expect(requireAmount(0, 'unitPrice', { allowZero: true })).toBe(0);
    expect(codeOf(() => requireAmount(0, 'amount', { allowZero: false }))).toBe('domain.validation');
  });

  it.each([
    ['negative', -1],
    ['fractional', 9.99],
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['beyond exact integers', Number.MAX_SAFE_INTEGER + 2],
    ['a numeric string', '100'],
  ])('an amount that is %s is rejected', (_, amount) => {
    expect(codeOf(() => requireAmount(amount, 'amount', { allowZero: true }))).toBe('domain.validation');
  });

  it('money pairs a checked amount with a checked currency', () => {
    expect(money(1999, 'EUR', { allowZero: false })).toEqual({ amount: 1999, currency: 'EUR' });
    expect(codeOf(() => money(1999, 'eur', { allowZero: false }))).toBe('domain.validation');
  });

  it('products and sums are exact or rejected', () => {
    expect(multiplyAmount(450, 3)).toBe(1350);
    expect(sumAmounts([1350, 1200, 0])).toBe(2550);
    expect(codeOf(() => multiplyAmount(Number.MAX_SAFE_INTEGER, 2))).toBe('domain.validation');
    expect(codeOf(() => sumAmounts([Number.MAX_SAFE_INTEGER, 1]))).toBe('domain.validation');
  });
});
