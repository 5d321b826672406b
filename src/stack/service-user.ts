import { chownSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TributaryError } from '../errors';
import { run, RunAs } from './exec';

/**
 * PostgreSQL and Elasticsearch refuse to run as root. When the stack is started as root, every service runs
 * as an unprivileged user (created on first use); otherwise they run as the current user.
 */
export async function serviceUser(name: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let ids = await lookup(name);
  if (!ids) {
    const result = await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
    ids = await lookup(name);
    if (!ids) {
      throw new TributaryError(
        'stack.prerequisite',
        `could not create the unprivileged user '${name}' that runs the services (useradd: ${result.stderr.trim() || `exit ${result.code}`}); create it yourself or set STACK_USER to an existing user`,
      );
    }
  }
  return ids;
}

async function lookup(name: string): Promise<RunAs | undefined> {
  const uid = await run('id', ['-u', name]);
  const gid = await run('id', ['-g', name]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The first folder from `dir` upwards that the service user cannot pass through, if any. */
function privateAncestor(dir: string, runAs: RunAs): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const stats = statSync(current);
    if (stats.uid !== runAs.uid && (stats.mode & 0o001) === 0) return current;
    if (current === dirname(current)) return undefined;
  }
}

/** True when the service user can reach `dir` (every folder on the way lets it through). */
export function isReachable(dir: string, runAs: RunAs): boolean {
  return privateAncestor(dir, runAs) === undefined;
}

/** Fails with one line when the service user cannot reach `dir` because a folder on the way is private. */
export function requireReachable(dir: string, user: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  const blocked = privateAncestor(dirname(dir), runAs);
  if (blocked) {
    throw new TributaryError(
      'stack.prerequisite',
      `the stack folder ${dir} is not reachable by the service user '${user}' because ${blocked} is private: set STACK_DIR to a folder outside it or run chmod o+x ${blocked}`,
    );
  }
}

/** Gives `path` (recursively) to the service user, so the services can write their data and logs. */
export function giveTo(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  const stats = lstatSync(path);
  if (stats.uid !== runAs.uid || stats.gid !== runAs.gid) chownSync(path, runAs.uid, runAs.gid);
  if (stats.isDirectory()) for (const entry of readdirSync(path)) giveTo(join(path, entry), runAs);
}
