/**
 * Masks what must never reach a log or an error message: the password of any `scheme://user:password@host`
 * URL inside a text (a connection string echoed by a bad setting, a driver's error message).
 */

export const MASK = '****';

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;

/** The text with the password of every URL in it replaced by `****`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${MASK}@`);
}
