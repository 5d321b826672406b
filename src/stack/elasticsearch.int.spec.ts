import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isolate, Isolated } from '../../test/harness';
import { describeSecurityFailure, elasticsearchClient, type ElasticsearchSettings } from '../clients';
import { toSearchError } from '../projections/search/failures';

describe('the stack Elasticsearch with the 8.x client', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(__filename);
  });
  afterAll(() => env.cleanup());

  it('creates an index, bulk-indexes documents and finds them by a search', async () => {
    const es = env.elasticsearch();
    const index = `${env.config.indexPrefix}probe`;
    await es.indices.create({
      index,
      mappings: {
        properties: {
          customer: { type: 'text', fields: { raw: { type: 'keyword' } } },
          total: { type: 'long' },
        },
      },
    });
    const documents = [
      { id: 'o-1', customer: 'Ada Lovelace', total: 1200 },
      { id: 'o-2', customer: 'Grace Hopper', total: 5300 },
      { id: 'o-3', customer: 'Ada Byron', total: 700 },
    ];
    const result = await es.helpers.bulk({
      datasource: documents,
      onDocument: (doc) => ({ index: { _index: index, _id: doc.id } }),
      refreshOnCompletion: index,
    });
    expect(result.failed).toBe(0);
    expect(result.successful).toBe(3);

    const found = await es.search<{ customer: string; total: number }>({
      index,
      query: { match: { customer: 'ada' } },
      sort: [{ total: 'desc' }],
    });
    expect(found.hits.hits.map((hit) => hit._id)).toEqual(['o-1', 'o-3']);
    const counted = await es.count({ index, query: { range: { total: { gte: 1000 } } } });
    expect(counted.count).toBe(2);
  });
});

describe('the stack Elasticsearch is secured', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(`${__filename}-secured`);
  });
  afterAll(() => env.cleanup());

  const failureOf = async (settings: Partial<ElasticsearchSettings>): Promise<unknown> => {
    const client = elasticsearchClient(
      { ...env.config, ...settings },
      { maxRetries: 0, requestTimeout: 5_000 },
    );
    try {
      await client.cluster.health();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await client.close();
    }
  };

  it('takes the stack user over TLS with the defaults (its CA, its password file)', async () => {
    expect(new URL(env.config.elasticsearchUrl).protocol).toBe('https:');
    expect(await failureOf({})).toBeUndefined();
  });

  it('a wrong password, or none: one line naming the settings, retriable for a projector', async () => {
    for (const settings of [{ elasticsearchPassword: 'wrong' }, { elasticsearchUsername: '' }]) {
      const failure = await failureOf(settings);
      expect(describeSecurityFailure(failure)).toMatch(
        /refused the credential \(401\): check ELASTICSEARCH_API_KEY/,
      );
      const error = toSearchError(failure, 'indexing');
      expect(error.retriable).toBe(true);
      expect(error.message).not.toContain('\n');
    }
  });

  it('a CA that did not sign its certificate: one line naming ELASTICSEARCH_CA_FILE', async () => {
    const failure = await failureOf({ elasticsearchCaFile: '' }); // the system's CAs only
    expect(describeSecurityFailure(failure)).toMatch(/certificate is not trusted .*ELASTICSEARCH_CA_FILE/);
  });

  it('a request over plain http is refused', async () => {
    const url = new URL(env.config.elasticsearchUrl);
    url.protocol = 'http:';
    expect(await failureOf({ elasticsearchUrl: url.toString() })).toBeDefined();
  });
});

describe('a search projector whose credential Elasticsearch refuses', () => {
  it('says so in one line per attempt and keeps trying, instead of exiting', async () => {
    // One process (tsx as a loader, not its CLI, which would run the command in a child of its own).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join('src', 'cli', 'main.ts'), 'project', 'search'],
      {
        env: { ...process.env, ELASTICSEARCH_PASSWORD: 'wrong', SEARCH_METRICS_PORT: '0' },
        stdio: 'pipe',
      },
    );
    const lines: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no retries within 20 s: ${lines.join('\n')}`)),
          20_000,
        );
        child.stdout.on('data', (chunk: Buffer) => {
          lines.push(
            ...chunk
              .toString()
              .split('\n')
              .filter((line) => line.includes('trying again')),
          );
          if (lines.length >= 2) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${lines.join('\n')}`)));
      });
      expect(child.exitCode).toBeNull();
      for (const line of lines) {
        expect(JSON.parse(line).msg).toMatch(
          /^Elasticsearch refused the credential \(401\): check ELASTICSEARCH_API_KEY/,
        );
      }
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
