import { Client, errors, type ClientOptions } from '@elastic/elasticsearch';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { readSettingFile, secretOf, UNTRUSTED_CERTIFICATE } from './common';

/**
 * The one way every process connects to Elasticsearch: the endpoint from ELASTICSEARCH_URL, a credential from
 * ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME with ELASTICSEARCH_PASSWORD (or ELASTICSEARCH_PASSWORD_FILE)
 * — never in the URL, where it would end up in logs and error messages —, and, for an https URL, the CA that
 * signed the cluster's certificate from ELASTICSEARCH_CA_FILE. Each process (the API, each projector,
 * `verify`) runs with its own environment, so each can have its own credential with only the privileges it
 * needs. The defaults are the local stack's: its CA, its user and the file with that user's password.
 */
export type ElasticsearchSettings = Pick<
  Config,
  | 'elasticsearchUrl'
  | 'elasticsearchApiKey'
  | 'elasticsearchUsername'
  | 'elasticsearchPassword'
  | 'elasticsearchPasswordFile'
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
  return {
    username: config.elasticsearchUsername,
    password: secretOf(config.elasticsearchPassword, config.elasticsearchPasswordFile),
  };
}

/** The client options of `config`, with `extra` (timeouts, retries) on top. Throws 'config.invalid'. */
export function elasticsearchOptions(
  config: ElasticsearchSettings,
  extra: Omit<ClientOptions, 'node' | 'auth' | 'tls'> = {},
): ClientOptions {
  const options: ClientOptions = { ...extra, node: config.elasticsearchUrl };
  const auth = credentialOf(config);
  if (auth) options.auth = auth;
  const https = new URL(config.elasticsearchUrl).protocol === 'https:';
  if (https && config.elasticsearchCaFile !== '')
    options.tls = { ca: readSettingFile(config.elasticsearchCaFile, 'ELASTICSEARCH_CA_FILE') };
  return options;
}

export function elasticsearchClient(
  config: ElasticsearchSettings,
  extra: Omit<ClientOptions, 'node' | 'auth' | 'tls'> = {},
): Client {
  return new Client(elasticsearchOptions(config, extra));
}

/**
 * One line naming the setting to fix, for a failure of the connection's security: a credential refused
 * (401), a credential without a privilege (403), or a certificate not trusted. Undefined for other failures.
 * These are retriable where they occur (an operator fixes the setting or the grant; the process goes on).
 */
export function describeSecurityFailure(error: unknown): string | undefined {
  if (error instanceof errors.ResponseError && error.statusCode === 401) {
    return 'Elasticsearch refused the credential (401): check ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and its password';
  }
  if (error instanceof errors.ResponseError && error.statusCode === 403) {
    const reason = (error.body as { error?: { reason?: unknown } } | undefined)?.error?.reason;
    return `Elasticsearch refused the request (403): the credential lacks a privilege${typeof reason === 'string' ? `: ${reason}` : ''}`;
  }
  if (
    error instanceof errors.ConnectionError &&
    UNTRUSTED_CERTIFICATE.test(`${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`)
  ) {
    return `Elasticsearch's certificate is not trusted (${error.message}): set ELASTICSEARCH_CA_FILE to the CA that signed it`;
  }
  return undefined;
}
