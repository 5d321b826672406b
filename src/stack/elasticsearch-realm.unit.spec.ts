import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureRealm,
  esPasswordSecret,
  ORDERS_INDEX_PATTERNS,
  rolesYml,
  STACK_ES_USERS,
} from './elasticsearch-realm';
import { initialOrdersIndex, newOrdersIndexName, ordersAlias } from '../projections/search';
import { stackPaths } from './paths';
import { readSecret, secretPath, writeSecret } from './secrets';
import type { StackContext } from './service';

/** A name matches an Elasticsearch index pattern of literal parts and `*`. */
const matches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.split('*').map(literal).join('.*')}$`).test(name);
const literal = (part: string) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&');

describe('the stack Elasticsearch roles', () => {
  it('cover the alias and every concrete index of any INDEX_PREFIX, and nothing else of the read models', () => {
    for (const prefix of ['', 'prod-', 't-elasticsearch-users-1a2b3c4d-']) {
      for (const name of [ordersAlias(prefix), initialOrdersIndex(prefix), newOrdersIndexName(prefix)]) {
        expect(ORDERS_INDEX_PATTERNS.some((pattern) => matches(pattern, name))).toBe(true);
      }
    }
    for (const name of ['customers', '.security-7', 'reports']) {
      expect(ORDERS_INDEX_PATTERNS.some((pattern) => matches(pattern, name))).toBe(false);
    }
  });

  it('give no cluster privilege, write only to the projector, and no role the write-capable `all`', () => {
    const yml = rolesYml();
    expect(yml.match(/^ {2}cluster: \[\]$/gm)).toHaveLength(STACK_ES_USERS.length);
    const writers = STACK_ES_USERS.filter(({ privileges }) =>
      privileges.some((privilege) => ['write', 'manage', 'all', 'index', 'delete'].includes(privilege)),
    );
    expect(writers.map(({ user }) => user)).toEqual(['tributary-search']);
    for (const { role, privileges } of STACK_ES_USERS) {
      expect(yml).toContain(`${role}:`);
      expect(yml).toContain(`privileges: [${privileges.map((p) => `'${p}'`).join(', ')}]`);
    }
  });

  it("each user's password file is named after it, as ELASTICSEARCH_PASSWORD_FILE's default", () => {
    expect(esPasswordSecret('tributary-api')).toBe('elasticsearch-tributary-api.password');
  });
});

/**
 * ensureRealm with a stand-in for `bin/elasticsearch-users` that logs its arguments and keeps `users` and
 * `users_roles` as the real one does (one `user:hash` line, one `role:user` line), so each case shows which
 * runs of the tool (seconds of JVM each) a stack up costs.
 */
describe('ensureRealm', () => {
  const USERS_TOOL = `#!/bin/sh
echo "$*" >> "$ES_PATH_CONF/calls"
case "$1" in
  useradd) echo "$2:hash-of-$4" >> "$ES_PATH_CONF/users"; echo "$6:$2" >> "$ES_PATH_CONF/users_roles" ;;
  roles) echo "$4:$2" >> "$ES_PATH_CONF/users_roles" ;;
esac
`;
  let root: string;
  let dirs: { home: string; conf: string };
  let context: StackContext;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'es-realm-'));
    dirs = { home: join(root, 'home'), conf: join(root, 'conf') };
    mkdirSync(join(dirs.home, 'bin'), { recursive: true });
    mkdirSync(dirs.conf);
    writeFileSync(join(dirs.home, 'bin', 'elasticsearch-users'), USERS_TOOL);
    chmodSync(join(dirs.home, 'bin', 'elasticsearch-users'), 0o755);
    const java = async () => ({ bin: 'java', home: root, major: 21 });
    context = { paths: stackPaths(root), java } as unknown as StackContext;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The tool's runs since the last call, as `<command> <user>`. */
  const calls = (): string[] => {
    const file = join(dirs.conf, 'calls');
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
    rmSync(file, { force: true });
    return lines.map((line) => line.split(' ').slice(0, 2).join(' '));
  };

  it('on a fresh stack adds every user with its role and a password of its own, and writes roles.yml', async () => {
    const users = ['tributary', ...STACK_ES_USERS.map(({ user }) => user)];
    expect(await ensureRealm(context, dirs)).toEqual(users);
    expect(calls()).toEqual(users.map((user) => `useradd ${user}`));
    expect(readFileSync(join(dirs.conf, 'roles.yml'), 'utf8')).toBe(rolesYml());
    const passwords = users.map((user) => readSecret(context.paths, esPasswordSecret(user)));
    expect(new Set(passwords).size).toBe(users.length);
    expect(readFileSync(join(dirs.conf, 'users'), 'utf8')).toContain(`tributary-api:hash-of-${passwords[2]}`);
  });

  it('a second time runs nothing', async () => {
    await ensureRealm(context, dirs);
    calls();
    expect(await ensureRealm(context, dirs)).toEqual([]);
    expect(calls()).toEqual([]);
  });

  it('gives a user whose password file was deleted the new password, and a user without its role the role', async () => {
    await ensureRealm(context, dirs);
    calls();
    rmSync(secretPath(context.paths, esPasswordSecret('tributary-verify')));
    writeFileSync(join(dirs.conf, 'users_roles'), 'superuser:tributary\n');
    expect(await ensureRealm(context, dirs)).toEqual(['tributary-verify']);
    expect(calls()).toEqual([
      'roles tributary-search',
      'roles tributary-api',
      'passwd tributary-verify',
      'roles tributary-verify',
    ]);
  });

  it('adopts the admin password of a stack made before the per-user files', async () => {
    writeSecret(context.paths, 'elasticsearch.password', 'old-password\n');
    writeFileSync(join(dirs.conf, 'users'), 'tributary:hash-of-old-password\n');
    writeFileSync(join(dirs.conf, 'users_roles'), 'superuser:tributary\n');
    await ensureRealm(context, dirs);
    expect(readSecret(context.paths, esPasswordSecret('tributary'))).toBe('old-password');
    expect(existsSync(secretPath(context.paths, 'elasticsearch.password'))).toBe(false);
    expect(calls()).toEqual(STACK_ES_USERS.map(({ user }) => `useradd ${user}`));
  });
});
