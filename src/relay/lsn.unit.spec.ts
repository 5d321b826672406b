import { TributaryError } from '../errors';
import { compareLsn, formatLsn, maxLsn, parseLsn } from './lsn';

describe('LSNs', () => {
  it('reads the padded and the unpadded form of an LSN as the same position', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('00000000/016B3748')).toBe(0x16b3748n);
    expect(parseLsn('0/16b3748')).toBe(0x16b3748n);
  });

  it('puts the high half in the upper 32 bits', () => {
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe((1n << 64n) - 1n);
  });

  it('formats like PostgreSQL: uppercase hex without padding', () => {
    expect(formatLsn(0x16b3748n)).toBe('0/16B3748');
    expect(formatLsn((0x2an << 32n) | 0xabn)).toBe('2A/AB');
    expect(formatLsn(0n)).toBe('0/0');
  });

  it('round-trips every form through parse and format', () => {
    for (const lsn of ['0/0', '0/16B3748', '1/0', 'A/FFFFFFFF', 'FFFFFFFF/FFFFFFFF']) {
      expect(formatLsn(parseLsn(lsn))).toBe(lsn);
    }
    expect(formatLsn(parseLsn('0000000A/0000FFFF'))).toBe('A/FFFF');
  });

  it.each(['', '16B3748', '0/', '/1', '0/16B3748/1', '0/G', '123456789/0', '0/123456789', ' 0/1', '0x0/1'])(
    'rejects the malformed LSN %p with input.invalid',
    (lsn) => {
      expect(() => parseLsn(lsn)).toThrow(TributaryError);
      try {
        parseLsn(lsn);
      } catch (error) {
        expect((error as TributaryError).code).toBe('input.invalid');
      }
    },
  );

  it('rejects positions outside 64 bits', () => {
    expect(() => formatLsn(-1n)).toThrow(/not a 64-bit WAL position/);
    expect(() => formatLsn(1n << 64n)).toThrow(/not a 64-bit WAL position/);
  });

  it('compares numerically, where string comparison gets padded and unpadded forms wrong', () => {
    // Lexically '0/9' > '0/10' and '00000000/0000000A' < '0/9': both wrong.
    expect(compareLsn('0/9', '0/10')).toBe(-1);
    expect(compareLsn('00000000/0000000A', '0/9')).toBe(1);
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBe(1);
    expect(compareLsn('0/16B3748', '00000000/016B3748')).toBe(0);
    expect(compareLsn(5n, '0/5')).toBe(0);
  });

  it('returns the highest LSN in the form it was given', () => {
    expect(maxLsn('0/9', '00000000/00000010', '0/A')).toBe('00000000/00000010');
    expect(maxLsn(3n, 7n, 5n)).toBe(7n);
    expect(maxLsn('0/1')).toBe('0/1');
  });
});
