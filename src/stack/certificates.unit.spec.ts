import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStackCertificates } from './certificates';

/** Whether `cert` chains to `caCert`, by openssl itself. */
function verifies(caCert: string, cert: string): boolean {
  try {
    execFileSync('openssl', ['verify', '-CAfile', caCert, cert], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the stack certificates', () => {
  it('makes one CA for services that ask at the same time, so each certificate chains to every ca.crt', async () => {
    const root = mkdtempSync(join(tmpdir(), 'stack-certs-'));
    const [kafka, elasticsearch] = [join(root, 'conf/kafka/certs'), join(root, 'conf/es/certs')];
    await Promise.all([
      ensureStackCertificates({ root }, kafka, 'kafka'),
      ensureStackCertificates({ root }, elasticsearch, 'elasticsearch'),
    ]);
    expect(readFileSync(join(kafka, 'ca.crt'), 'utf8')).toBe(
      readFileSync(join(elasticsearch, 'ca.crt'), 'utf8'),
    );
    for (const dir of [kafka, elasticsearch]) {
      expect(verifies(join(kafka, 'ca.crt'), join(dir, 'node.crt'))).toBe(true);
    }
  }, 30_000);

  it('makes a service certificate again when the CA it was signed by is gone', async () => {
    const [first, second] = [
      mkdtempSync(join(tmpdir(), 'stack-a-')),
      mkdtempSync(join(tmpdir(), 'stack-b-')),
    ];
    const certs = join(first, 'certs');
    await ensureStackCertificates({ root: first }, certs, 'kafka');
    // The same service folder, now under another stack's CA (as after the CA was deleted and made again).
    await ensureStackCertificates({ root: second }, certs, 'kafka');
    expect(verifies(join(second, 'secrets', 'stack-ca.crt'), join(certs, 'node.crt'))).toBe(true);
  }, 30_000);
});
