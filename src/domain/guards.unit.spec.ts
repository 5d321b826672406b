import { TributaryError } from '../errors';
import { requireOneOf, requirePositiveInteger, requireText, requireTimestamp } from './guards';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof TributaryError ? error.code : 'not a TributaryError';
  }
  return undefined;
}

describe('requireTimestamp', () => {
  it.each(['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.123Z', '2024-02-29T23:59:59+02:00'])(
    'accepts %s, an ISO 8601 time with a zone',
    (value) => {
      expect(requireTimestamp(value, 'at')).toBe(value);
    },
  );

  it.each([
    ['a bare date', '2024-05-01'],
    ['a local time without zone', '2024-05-01T10:00:00'],
    ['a day that does not exist', '2024-02-30T10:00:00Z'],
    ['February 29th of a common year', '2023-02-29T10:00:00Z'],
    ['hour 24', '2024-05-01T24:00:00Z'],
    ['a number', 1714557600000],
    ['free text', 'yesterday'],
  ])('rejects %s as malformed', (_, value) => {
    expect(codeOf(() => requireTimestamp(value, 'at'))).toBe('domain.validation');
  });
});

describe('requireText', () => {
  it('rejects blank and non-string values, keeps others exactly as given', () => {
    expect(codeOf(() => requireText('  ', 'sku'))).toBe('domain.validation');
    expect(codeOf(() => requireText(42, 'sku'))).toBe('domain.validation');
    expect(requireText(' A-1 ', 'sku')).toBe(' A-1 ');
  });
});

describe('requirePositiveInteger', () => {
  it('accepts only safe integers above zero', () => {
    expect(requirePositiveInteger(3, 'quantity')).toBe(3);
    for (const value of [0, -3, 2.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '3']) {
      expect(codeOf(() => requirePositiveInteger(value, 'quantity'))).toBe('domain.validation');
    }
  });
});

describe('requireOneOf', () => {
  it('accepts members of the set and rejects anything else', () => {
    expect(requireOneOf('web', ['web', 'store'], 'channel')).toBe('web');
    expect(codeOf(() => requireOneOf('fax', ['web', 'store'], 'channel'))).toBe('domain.validation');
  });
});
