import { databaseOf, databaseSettingName, type Config, type DatabaseComponent } from '../config';
import type { Logger } from '../observability';

const told = new Set<DatabaseComponent>();

/**
 * The connection string of a component (its own setting, else DATABASE_URL). A component that falls back
 * says so once per process: it then runs with the one role of DATABASE_URL, with that role's rights rather
 * than its own (docs/security.md).
 */
export function databaseUrlFor(config: Config, component: DatabaseComponent, logger?: Logger): string {
  const { url, ownSetting } = databaseOf(config, component);
  if (!ownSetting && logger && !told.has(component)) {
    told.add(component);
    logger.warn(
      { setting: databaseSettingName(component) },
      `runs with one role: ${databaseSettingName(component)} is not set, so ${component} connects with DATABASE_URL's role`,
    );
  }
  return url;
}

/**
 * The configuration a component passes down, with DATABASE_URL replaced by its own connection: code below the
 * CLI (the relay's replication session, say) connects with `config.databaseUrl` and need not know which
 * component it serves.
 */
export function componentConfig(config: Config, component: DatabaseComponent, logger?: Logger): Config {
  return { ...config, databaseUrl: databaseUrlFor(config, component, logger) };
}
