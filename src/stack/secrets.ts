import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { StackPaths } from './paths';

/**
 * The stack's secrets (the Elasticsearch users' passwords, the stack CA's key): files of mode 0600
 * in `<stack>/secrets`, a folder of mode 0700, owned by whoever runs the stack commands (the services never
 * read them; what a service needs is copied into its own configuration).
 */
export const secretsDir = (paths: Pick<StackPaths, 'root'>): string => join(paths.root, 'secrets');

export function secretPath(paths: Pick<StackPaths, 'root'>, name: string): string {
  return join(secretsDir(paths), name);
}

export function writeSecret(paths: Pick<StackPaths, 'root'>, name: string, content: string): string {
  const dir = secretsDir(paths);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = secretPath(paths, name);
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function readSecret(paths: Pick<StackPaths, 'root'>, name: string): string | undefined {
  const file = secretPath(paths, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** The secret `name`, made (by `make`) and written the first time it is asked for (or always, `replace`). */
export function ensureSecret(
  paths: Pick<StackPaths, 'root'>,
  name: string,
  make = randomPassword,
  { replace = false } = {},
): string {
  const existing = readSecret(paths, name);
  if (!replace && existing !== undefined && existing !== '') return existing;
  const made = make();
  writeSecret(paths, name, `${made}\n`);
  return made;
}

/** 24 random bytes, URL-safe: no character a shell, a URL or a config file would need to escape. */
export const randomPassword = (): string => randomBytes(24).toString('base64url');
