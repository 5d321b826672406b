import { TributaryError } from '../errors';

/**
 * The stream version travels as a strong entity tag: version 3 is `"3"`. An `If-Match` header makes a
 * command conditional on that version (optimistic concurrency for clients).
 *
 * Weak tags (`W/"3"`) are rejected with 400 rather than ignored: RFC 9110 §13.1.1 compares If-Match
 * strongly, so a weak tag could never match, and a client sending one has most likely mistaken a proxy's
 * rewritten tag for ours. A list of tags is rejected too: a command is conditional on one version.
 * `*` means "the resource exists"; commands on an order already require that, so it adds no condition.
 */

/** The ETag header value for a stream version. */
export function formatEtag(version: number): string {
  return `"${version}"`;
}

const STRONG_ETAG = /^"(0|[1-9]\d{0,15})"$/;

/** What If-Match must look like, for error messages and the OpenAPI description. */
export const IF_MATCH_FORMAT = 'a single strong ETag of the version, e.g. "3"';

/**
 * The expected stream version an If-Match header asks for: a number, or undefined when the header is
 * absent or `*`. Throws TributaryError `input.invalid` (HTTP 400) for any other value.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const match = STRONG_ETAG.exec(value);
  const version = match?.[1] === undefined ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(version)) {
    const why = value.startsWith('W/') ? 'weak ETags never match If-Match; send ' : 'it must be ';
    throw new TributaryError(
      'input.invalid',
      `If-Match ${JSON.stringify(header)} is not valid: ${why}${IF_MATCH_FORMAT}`,
      {
        details: { errors: [{ path: 'headers.if-match', message: `must be ${IF_MATCH_FORMAT}` }] },
      },
    );
  }
  return version;
}
