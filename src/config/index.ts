export { loadConfig, describeSettings, settingsMarkdown } from './load';
export type { Config, Environment } from './load';
export { settings } from './settings';
export { MASK, maskUrlPasswords } from './mask';
export { DATABASE_COMPONENTS, databaseOf, databaseSettingName } from './database-urls';
export type { ComponentDatabase, DatabaseComponent } from './database-urls';
