export { loadConfig, describeSettings, settingsMarkdown } from './load';
export type { Config, Environment } from './load';
export { settings } from './settings';
