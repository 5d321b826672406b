import { existsSync, readFileSync } from 'node:fs';
import { TributaryError } from '../errors';

/**
 * What every client factory shares: the files connection settings name (a CA, a client certificate, a
 * password file), read the same way for every service, and how a TLS failure tells an untrusted certificate.
 */

/** The content of `file`, which `setting` names; throws 'config.invalid' when it cannot be read. */
export function readSettingFile(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TributaryError(
      'config.invalid',
      `${setting} ${file} cannot be read: ${(error as Error).message}`,
    );
  }
}

/** A secret given directly (`value`), else the content of `file` when it exists, else empty. */
export function secretOf(value: string, file: string): string {
  if (value !== '') return value;
  return file !== '' && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/** TLS failures that mean "this certificate is not signed by a CA we trust", by Node's error code or text. */
export const UNTRUSTED_CERTIFICATE =
  /SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|self[- ]signed certificate|unable to verify the first certificate/i;
