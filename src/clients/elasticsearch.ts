import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import type { Config } from '../config';
import { TributaryError } from '../errors';

/**
 * The one way every process connects to Elasticsearch: the endpoint from ELASTICSEARCH_URL, a credential from
 * ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD (never in the URL, where it would
 * end up in logs and error messages), and the CA that signed the cluster's certificate from
 * ELASTICSEARCH_CA_FILE (for https with a private CA). Each process (the API, each projector, `verify`) runs
 * with its own environment, so each can have its own API key with only the privileges it needs.
 */
export type ElasticsearchSettings = Pick<
  Config,
  | 'elasticsearchUrl'
  | 'elasticsearchApiKey'
  | 'elasticsearchUsername'
  | 'elasticsearchPassword'
  | 'elasticsearchCaFile'
>;

const invalid = (message: string) => new TributaryError('config.invalid', message);

function credentialOf(config: ElasticsearchSettings): ClientOptions['auth'] | undefined {
  if (new URL(config.elasticsearchUrl).username !== '') {
    throw invalid(
      'ELASTICSEARCH_URL carries credentials; put them in ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD instead',
    );
  }
  if (config.elasticsearchApiKey !== '' && config.elasticsearchUsername !== '') {
    throw invalid('set ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME, not both');
  }
  if (config.elasticsearchApiKey !== '') return { apiKey: config.elasticsearchApiKey };
  if (config.elasticsearchUsername === '') return undefined;
  return { username: config.elasticsearchUsername, password: config.elasticsearchPassword };
}

function caOf(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw invalid(`ELASTICSEARCH_CA_FILE ${file} cannot be read: ${(error as Error).message}`);
  }
}

/** The client options of `config`, with `extra` (timeouts, retries) on top. Throws 'config.invalid'. */
export function elasticsearchOptions(
  config: ElasticsearchSettings,
  extra: Omit<ClientOptions, 'node' | 'auth' | 'tls'> = {},
): ClientOptions {
  const options: ClientOptions = { ...extra, node: config.elasticsearchUrl };
  const auth = credentialOf(config);
  if (auth) options.auth = auth;
  if (config.elasticsearchCaFile !== '') options.tls = { ca: caOf(config.elasticsearchCaFile) };
  return options;
}

export function elasticsearchClient(
  config: ElasticsearchSettings,
  extra: Omit<ClientOptions, 'node' | 'auth' | 'tls'> = {},
): Client {
  return new Client(elasticsearchOptions(config, extra));
}
