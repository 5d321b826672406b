import { existsSync } from 'node:fs';
import type { Config, Environment } from '../config';
import { esPasswordSecret } from '../stack/elasticsearch-realm';
import { secretPath } from '../stack/secrets';

/**
 * The demo runs each component that talks to Elasticsearch as the stack user made for it (see
 * src/stack/elasticsearch-realm.ts), as a deployment should: the projector may write the search indices,
 * the API and `verify` may only read them. Setting ELASTICSEARCH_USERNAME is enough, since the default of
 * ELASTICSEARCH_PASSWORD_FILE follows it to that user's password.
 */

/** The stack user of each component; the relay and the reporting projector do not use Elasticsearch. */
export const ELASTICSEARCH_USER_OF: Readonly<Record<string, string>> = {
  api: 'tributary-api',
  search: 'tributary-search',
  verify: 'tributary-verify',
};

/** Settings by which an operator chose the cluster or the credential: then the demo keeps theirs. */
const OPERATOR_SETTINGS = [
  'ELASTICSEARCH_URL',
  'ELASTICSEARCH_API_KEY',
  'ELASTICSEARCH_USERNAME',
  'ELASTICSEARCH_PASSWORD',
  'ELASTICSEARCH_PASSWORD_FILE',
];

/**
 * The environment `component` adds to the demo's to connect as its own stack user: empty when the operator
 * configured Elasticsearch, when the component has no user, or when the stack has not made that user (a
 * stack started before the users existed: its next start makes them).
 */
export function elasticsearchUserEnv(
  config: Pick<Config, 'stackDir'>,
  environment: Environment,
  component: string,
): Environment {
  if (OPERATOR_SETTINGS.some((name) => (environment[name] ?? '') !== '')) return {};
  const user = ELASTICSEARCH_USER_OF[component];
  if (user === undefined) return {};
  if (!existsSync(secretPath({ root: config.stackDir }, esPasswordSecret(user)))) return {};
  return { ELASTICSEARCH_USERNAME: user };
}

/** One line for the demo's output: which Elasticsearch user each of `components` runs as. */
export function describeElasticsearchUsers(
  config: Pick<Config, 'stackDir'>,
  environment: Environment,
  components: readonly string[],
): string {
  const users = components.flatMap((component) => {
    const user = elasticsearchUserEnv(config, environment, component).ELASTICSEARCH_USERNAME;
    return user === undefined ? [] : [`${component} as ${user}`];
  });
  return users.length > 0 ? `users ${users.join(', ')}` : 'every component with the configured credential';
}

/** Settings as a shell would take them before a command (`A=1 B=2`); undefined when there are none. */
export function settingsLine(settings: Environment): string | undefined {
  const pairs = Object.entries(settings).map(([name, value]) => `${name}=${value ?? ''}`);
  return pairs.length > 0 ? pairs.join(' ') : undefined;
}
