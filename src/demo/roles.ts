import { randomBytes } from 'node:crypto';
import { DATABASE_COMPONENTS, databaseOf, databaseSettingName, type Config } from '../config';
import type { Executor } from '../db/executor';
import { ensureRoles, ROLE_COMPONENTS, roleNames, type RoleComponent } from '../db/roles';

/**
 * The demo runs each component under its own PostgreSQL role, as a deployment should: it creates the roles
 * (`db roles`, as DATABASE_URL's administrator) with passwords made up for this run, and returns the
 * settings that make each component connect as its role. When the environment already sets a component's
 * connection, the operator chose the roles: the demo creates none and returns nothing.
 */
export async function demoRoles(
  config: Config,
  admin: Executor,
): Promise<{ settings: Record<string, string>; notes: string[] } | undefined> {
  if (DATABASE_COMPONENTS.some((component) => databaseOf(config, component).ownSetting)) return undefined;
  const roles = roleNames(config.dbRolePrefix);
  const passwords = Object.fromEntries(
    ROLE_COMPONENTS.map((component) => [component, randomBytes(18).toString('base64url')]),
  ) as Record<RoleComponent, string>;
  const report = await ensureRoles(admin, { roles, passwords, publication: config.relayPublication });
  const settings: Record<string, string> = {};
  for (const component of ROLE_COMPONENTS) {
    const url = new URL(config.databaseUrl);
    url.username = roles[component];
    url.password = passwords[component];
    settings[databaseSettingName(component === 'owner' ? 'migrate' : component)] = url.toString();
  }
  return { settings, notes: report.notes };
}
