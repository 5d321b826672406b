import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeElasticsearchUsers, elasticsearchUserEnv, settingsLine } from './elasticsearch-users';

describe('the Elasticsearch user of each demo component', () => {
  const stackDir = mkdtempSync(join(tmpdir(), 'es-users-'));
  mkdirSync(join(stackDir, 'secrets'));
  for (const user of ['tributary-api', 'tributary-search']) {
    writeFileSync(join(stackDir, 'secrets', `elasticsearch-${user}.password`), 'pw\n');
  }
  const config = { stackDir };

  it("is the stack's user made for it, named alone (the password file follows the name)", () => {
    expect(elasticsearchUserEnv(config, {}, 'api')).toEqual({ ELASTICSEARCH_USERNAME: 'tributary-api' });
    expect(elasticsearchUserEnv(config, {}, 'search')).toEqual({
      ELASTICSEARCH_USERNAME: 'tributary-search',
    });
  });

  it('is nothing for a component without Elasticsearch, or a user the stack has not made', () => {
    expect(elasticsearchUserEnv(config, {}, 'relay')).toEqual({});
    expect(elasticsearchUserEnv(config, {}, 'reporting')).toEqual({});
    expect(elasticsearchUserEnv(config, {}, 'verify')).toEqual({}); // no password file in this stack
  });

  it("leaves the operator's Elasticsearch settings alone", () => {
    for (const name of ['ELASTICSEARCH_URL', 'ELASTICSEARCH_API_KEY', 'ELASTICSEARCH_USERNAME']) {
      expect(elasticsearchUserEnv(config, { [name]: 'x' }, 'api')).toEqual({});
    }
    expect(elasticsearchUserEnv(config, { ELASTICSEARCH_USERNAME: '' }, 'api')).not.toEqual({});
  });

  it('are named in one line of the demo', () => {
    expect(describeElasticsearchUsers(config, {}, ['api', 'search'])).toBe(
      'users api as tributary-api, search as tributary-search',
    );
    expect(describeElasticsearchUsers(config, { ELASTICSEARCH_API_KEY: 'k' }, ['api'])).toBe(
      'every component with the configured credential',
    );
  });

  it('is written before a command as a shell takes it', () => {
    expect(settingsLine({ ELASTICSEARCH_USERNAME: 'tributary-verify' })).toBe(
      'ELASTICSEARCH_USERNAME=tributary-verify',
    );
    expect(settingsLine({})).toBeUndefined();
  });
});
