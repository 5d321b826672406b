import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TributaryError } from '../errors';
import { elasticsearchOptions, type ElasticsearchSettings } from './elasticsearch';

const base: ElasticsearchSettings = {
  elasticsearchUrl: 'https://127.0.0.1:9200',
  elasticsearchApiKey: '',
  elasticsearchUsername: '',
  elasticsearchPassword: '',
  elasticsearchPasswordFile: '',
  elasticsearchCaFile: '',
};

function refusal(settings: Partial<ElasticsearchSettings>): string {
  try {
    elasticsearchOptions({ ...base, ...settings });
  } catch (error) {
    expect((error as TributaryError).code).toBe('config.invalid');
    return (error as Error).message;
  }
  throw new Error('expected config.invalid');
}

describe('Elasticsearch client options', () => {
  it('no credential and no CA: the endpoint only, with the extra options', () => {
    expect(elasticsearchOptions(base, { maxRetries: 0 })).toEqual({
      node: base.elasticsearchUrl,
      maxRetries: 0,
    });
  });

  it('an API key, or basic authentication', () => {
    expect(elasticsearchOptions({ ...base, elasticsearchApiKey: 'a2V5' }).auth).toEqual({ apiKey: 'a2V5' });
    const basic = elasticsearchOptions({ ...base, elasticsearchUsername: 'u', elasticsearchPassword: 'p' });
    expect(basic.auth).toEqual({ username: 'u', password: 'p' });
  });

  it('reads the password of ELASTICSEARCH_PASSWORD_FILE when ELASTICSEARCH_PASSWORD is empty and the file exists', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'es-pw-')), 'password');
    writeFileSync(file, 'from-file\n');
    const user = { ...base, elasticsearchUsername: 'u', elasticsearchPasswordFile: file };
    expect(elasticsearchOptions(user).auth).toEqual({ username: 'u', password: 'from-file' });
    expect(elasticsearchOptions({ ...user, elasticsearchPassword: 'set' }).auth).toEqual({
      username: 'u',
      password: 'set',
    });
    const missing = { ...user, elasticsearchPasswordFile: `${file}.missing` };
    expect(elasticsearchOptions(missing).auth).toEqual({ username: 'u', password: '' });
  });

  it('trusts the CA of ELASTICSEARCH_CA_FILE for https, and needs none for http', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'es-ca-')), 'ca.crt');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    const options = elasticsearchOptions({ ...base, elasticsearchCaFile: file });
    expect(String((options.tls as { ca: Buffer }).ca)).toContain('BEGIN CERTIFICATE');
    const plain = { ...base, elasticsearchUrl: 'http://127.0.0.1:9200', elasticsearchCaFile: '/nonexistent' };
    expect(elasticsearchOptions(plain).tls).toBeUndefined();
  });

  it('refuses credentials in the URL, two credentials at once, and an unreadable CA file, each in one line', () => {
    expect(refusal({ elasticsearchUrl: 'https://elastic:secret@127.0.0.1:9200' })).toMatch(
      /ELASTICSEARCH_URL carries credentials/,
    );
    expect(refusal({ elasticsearchApiKey: 'k', elasticsearchUsername: 'u' })).toMatch(/not both/);
    expect(refusal({ elasticsearchCaFile: '/nonexistent/ca.crt' })).toMatch(
      /ELASTICSEARCH_CA_FILE .* cannot be read/,
    );
  });

  it('never puts the password in the error of a URL with credentials', () => {
    expect(refusal({ elasticsearchUrl: 'https://elastic:secret@127.0.0.1:9200' })).not.toContain('secret');
  });
});
