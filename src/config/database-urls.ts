import type { Config } from './load';
import { settings } from './settings';

/**
 * Which PostgreSQL connection each component uses. Every component has its own setting, so it can run under
 * its own role (docs/security.md); one left empty falls back to DATABASE_URL, the single-role setup.
 */

export const DATABASE_COMPONENTS = [
  'migrate',
  'api',
  'relay',
  'search',
  'reporting',
  'readonly',
  'saga',
] as const;
export type DatabaseComponent = (typeof DATABASE_COMPONENTS)[number];

const SETTING = {
  migrate: 'migrateDatabaseUrl',
  api: 'apiDatabaseUrl',
  relay: 'relayDatabaseUrl',
  search: 'searchDatabaseUrl',
  reporting: 'reportingDatabaseUrl',
  readonly: 'readonlyDatabaseUrl',
  saga: 'sagaDatabaseUrl',
} as const satisfies Record<DatabaseComponent, keyof Config>;

export interface ComponentDatabase {
  url: string;
  /** False when the component's own setting is empty and it shares DATABASE_URL's role. */
  ownSetting: boolean;
}

export function databaseOf(
  config: Pick<Config, (typeof SETTING)[DatabaseComponent] | 'databaseUrl'>,
  component: DatabaseComponent,
): ComponentDatabase {
  const own = config[SETTING[component]];
  return own === '' ? { url: config.databaseUrl, ownSetting: false } : { url: own, ownSetting: true };
}

/** The environment name of a component's connection setting, for messages. */
export const databaseSettingName = (component: DatabaseComponent): string => settings[SETTING[component]].env;
