import { TributaryError } from '../errors';
import { formatEtag, parseIfMatch } from './etag';

describe('ETag and If-Match', () => {
  it('the ETag of a version is a strong tag of its number', () => {
    expect(formatEtag(3)).toBe('"3"');
  });

  it('If-Match "3" expects version 3, and an absent header or * expects nothing', () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch(' "12" ')).toBe(12);
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBeUndefined();
  });

  it.each(['W/"3"', '3', '""', '"03"', '"3", "4"', '"99999999999999999"', '"abc"'])(
    'If-Match %s is rejected as input.invalid naming the header',
    (header) => {
      let error: unknown;
      try {
        parseIfMatch(header);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(TributaryError);
      expect(error).toMatchObject({
        code: 'input.invalid',
        details: { errors: [{ path: 'headers.if-match', message: expect.any(String) }] },
      });
    },
  );

  it('a weak If-Match is told why it cannot match', () => {
    expect(() => parseIfMatch('W/"3"')).toThrow(/weak ETags never match/);
  });
});
