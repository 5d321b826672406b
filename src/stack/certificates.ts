import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../errors';
import { run } from './exec';
import type { StackPaths } from './paths';
import { secretPath, secretsDir } from './secrets';

/**
 * The stack's own certificate authority and the server certificates it signs (with openssl), so the services
 * of the local stack speak TLS the way production ones do. The CA's key stays in `secrets/` (0600); a
 * service's folder gets the CA certificate (`ca.crt`, what clients trust), its certificate (`node.crt`,
 * for 127.0.0.1 and localhost) and its key (`node.key`, 0600). Made once; kept across restarts.
 */

const DAYS = '3650';

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await run('openssl', args, { cwd }).catch((error: Error) => {
    throw new TributaryError(
      'stack.prerequisite',
      `openssl is needed to make the stack's certificates: ${error.message} (apt-get install openssl)`,
    );
  });
  if (result.code !== 0) {
    throw new TributaryError('stack.start_failed', `openssl ${args[0]} failed: ${result.stderr.trim()}`);
  }
}

/**
 * The CA being made, per stack folder: Kafka and Elasticsearch install at the same time, and two CAs made at
 * once would sign one service's certificate with a key whose certificate the other copied as its `ca.crt`.
 */
const making = new Map<string, Promise<{ cert: string; key: string }>>();

/** The stack CA (made the first time, once even when asked for concurrently): its certificate and key paths. */
function ensureStackCa(paths: Pick<StackPaths, 'root'>): Promise<{ cert: string; key: string }> {
  const cert = secretPath(paths, 'stack-ca.crt');
  const key = secretPath(paths, 'stack-ca.key');
  const inProgress = making.get(cert);
  if (inProgress) return inProgress;
  if (existsSync(cert) && existsSync(key)) return Promise.resolve({ cert, key });
  const pending = makeStackCa(paths, cert, key).finally(() => making.delete(cert));
  making.set(cert, pending);
  return pending;
}

async function makeStackCa(
  paths: Pick<StackPaths, 'root'>,
  cert: string,
  key: string,
): Promise<{ cert: string; key: string }> {
  mkdirSync(secretsDir(paths), { recursive: true, mode: 0o700 });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      DAYS,
      '-subj',
      '/CN=Tributary stack CA',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    secretsDir(paths),
  );
  chmodSync(key, 0o600);
  return { cert, key };
}

/** `dir` holds ca.crt, node.crt and node.key for a service on the loopback (made when missing). */
export async function ensureStackCertificates(
  paths: Pick<StackPaths, 'root'>,
  dir: string,
  service: string,
): Promise<void> {
  const ca = await ensureStackCa(paths);
  mkdirSync(dir, { recursive: true });
  copyFileSync(ca.cert, join(dir, 'ca.crt'));
  const [cert, key] = [join(dir, 'node.crt'), join(dir, 'node.key')];
  if (existsSync(cert) && existsSync(key) && (await signedBy(ca.cert, cert, dir))) return;
  const csr = join(dir, 'node.csr');
  const extensions = join(dir, 'node.ext');
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${service}`, '-keyout', key, '-out', csr],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      DAYS,
      '-out',
      cert,
      '-extfile',
      extensions,
    ],
    dir,
  );
  chmodSync(key, 0o600);
}

/** Whether `cert` chains to the CA `caCert` (a CA made again since would leave it untrusted). */
async function signedBy(caCert: string, cert: string, cwd: string): Promise<boolean> {
  const result = await run('openssl', ['verify', '-CAfile', caCert, cert], { cwd }).catch(() => undefined);
  return result?.code === 0;
}
