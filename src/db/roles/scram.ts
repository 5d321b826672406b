import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * A SCRAM-SHA-256 verifier of a password, in the form PostgreSQL stores (RFC 5803, as `pg_authid` keeps it):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. `CREATE ROLE … PASSWORD '<verifier>'` stores it
 * as is, so the password itself never reaches the server — nor its statement log, `pg_stat_statements` or an
 * error message quoting the statement. This is what psql's `\password` does.
 *
 * The password is used as given (no SASLprep): node-postgres, the client every component uses, does the
 * same when it logs in, and for an ASCII password SASLprep changes nothing.
 */
export function scramVerifier(
  password: string,
  options: { salt?: Buffer; iterations?: number } = {},
): string {
  const salt = options.salt ?? randomBytes(16);
  const iterations = options.iterations ?? 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
