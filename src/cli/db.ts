import { Pool } from 'pg';
import { databaseOf, type Config, type DatabaseComponent } from '../config';
import { pgExecutor } from '../db/executor';
import { withSessionOptions } from '../db/pool';
import { ensureRoles, ROLE_COMPONENTS, roleNames, type RoleComponent, type RoleNames } from '../db/roles';
import { TributaryError } from '../errors';

/**
 * `db roles`: creates the deployment's PostgreSQL roles (idempotent), connected as DATABASE_URL, which must
 * be a role with CREATEROLE. Exit 0 when everything was done, 4 when a note says what is left to do by hand.
 */
export async function dbCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  if (args.join(' ') !== 'roles') {
    throw new TributaryError('input.invalid', `unknown db command '${args.join(' ')}': expected roles`);
  }
  const roles = roleNames(config.dbRolePrefix);
  const pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 1 });
  try {
    const report = await ensureRoles(pgExecutor(pool), {
      roles,
      passwords: rolePasswords(config, roles),
      publication: config.relayPublication,
    });
    say(
      report.created.length === 0
        ? `roles: ${Object.values(roles).join(', ')} exist`
        : `roles: created ${report.created.join(', ')}`,
    );
    for (const note of report.notes) say(`NOTE: ${note}`);
    say('next: `tributary setup` as the owner grants each role its tables');
    return report.notes.length === 0 ? 0 : 4;
  } finally {
    await pool.end();
  }
}

const PASSWORD_SETTING = {
  owner: 'dbRolePasswordOwner',
  api: 'dbRolePasswordApi',
  relay: 'dbRolePasswordRelay',
  search: 'dbRolePasswordSearch',
  reporting: 'dbRolePasswordReporting',
  readonly: 'dbRolePasswordReadonly',
  saga: 'dbRolePasswordSaga',
} as const satisfies Record<RoleComponent, keyof Config>;

const CONNECTION_OF: Record<RoleComponent, DatabaseComponent> = {
  owner: 'migrate',
  api: 'api',
  relay: 'relay',
  search: 'search',
  reporting: 'reporting',
  readonly: 'readonly',
  saga: 'saga',
};

/**
 * Each role's password: its DB_ROLE_PASSWORD_* setting, else the password in the component's own connection
 * setting when that URL logs in as this very role — so a deployment can keep each password in one place.
 */
export function rolePasswords(config: Config, roles: RoleNames): Partial<Record<RoleComponent, string>> {
  const passwords: Partial<Record<RoleComponent, string>> = {};
  for (const component of ROLE_COMPONENTS) {
    const setting = config[PASSWORD_SETTING[component]];
    const connection = databaseOf(config, CONNECTION_OF[component]);
    const url = connection.ownSetting ? new URL(connection.url) : undefined;
    const fromUrl =
      url && decodeURIComponent(url.username) === roles[component] ? decodeURIComponent(url.password) : '';
    const password = setting !== '' ? setting : fromUrl;
    if (password !== '') passwords[component] = password;
  }
  return passwords;
}
