import { isolate, Isolated } from '../../test/harness';

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
