import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RunAs } from './exec';
import { isReachable, requireReachable } from './service-user';

/** The layout of the stack folder (git-ignored `.stack/` by default). */
export interface StackPaths {
  root: string;
  logs: string;
  run: string;
  dist: string;
  data: string;
  conf: string;
  log(service: string): string;
  pidFile(service: string): string;
}

export function stackPaths(root: string): StackPaths {
  return {
    root,
    logs: join(root, 'logs'),
    run: join(root, 'run'),
    dist: join(root, 'dist'),
    data: join(root, 'data'),
    conf: join(root, 'conf'),
    log: (service) => join(root, 'logs', `${service}.log`),
    pidFile: (service) => join(root, 'run', `${service}.pid`),
  };
}

/** Where a stack folder goes when the checkout itself is private to root (e.g. cloned under /root). */
const RELOCATED_BASE = '/var/tmp/tributary-stacks';

/**
 * Opens (creating if needed) the stack folder and its sub-folders. When the services run as an
 * unprivileged user that cannot reach the checkout, the folder is created under /var/tmp and `.stack`
 * becomes a symlink to it, so a fresh clone anywhere works without changing permissions of the user's
 * folders.
 */
export function openStackFolder(
  stackDir: string,
  user: string,
  runAs: RunAs | undefined,
  report: (line: string) => void,
): StackPaths {
  const requested = resolve(stackDir);
  if (!existsSync(requested)) {
    mkdirSync(dirname(requested), { recursive: true });
    if (runAs && !isReachable(dirname(requested), runAs)) {
      const target = join(RELOCATED_BASE, createHash('sha1').update(requested).digest('hex').slice(0, 12));
      mkdirSync(target, { recursive: true, mode: 0o755 });
      symlinkSync(target, requested);
      report(
        `stack: ${dirname(requested)} is private, so the stack lives in ${target} (linked from ${requested})`,
      );
    } else {
      mkdirSync(requested, { recursive: true });
    }
  }
  const root = realpathSync(requested);
  requireReachable(root, user, runAs);
  const paths = stackPaths(root);
  for (const dir of [paths.logs, paths.run, paths.dist, paths.data, paths.conf])
    mkdirSync(dir, { recursive: true });
  return paths;
}
