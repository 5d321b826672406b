import { statSync } from 'node:fs';
import type { Client } from '@elastic/elasticsearch';
import { isolate, type Isolated } from '../../test/harness';
import { randomOrderHistory } from '../../test/fixtures/projection-events';
import { seededRandom } from '../../test/fixtures/random';
import { describeSecurityFailure, elasticsearchClient } from '../clients';
import { loadConfig, type Config } from '../config';
import {
  createOrdersIndex,
  currentOrdersIndices,
  dropIndices,
  ensureOrdersIndex,
  ordersAlias,
  searchOrders,
  swapOrdersAlias,
  writeOrderDocuments,
} from '../projections/search';
import { checkSearch } from '../verify/search';
import type { Executor } from '../db/executor';
import { STACK_ES_USERS } from './elasticsearch-realm';

/**
 * The stack's user per component (src/stack/elasticsearch-realm.ts) against the real Elasticsearch, each
 * configured as a deployment would: ELASTICSEARCH_USERNAME alone, the password file following it. What each
 * component's code does works; what it must not do is refused with a 403 naming the missing privilege.
 */

let env: Isolated;
const clients: Client[] = [];
beforeAll(async () => {
  env = await isolate(__filename);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await env.cleanup();
});

/** The configuration of a process started with ELASTICSEARCH_USERNAME=user (and this file's prefixes). */
function configAs(user: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    ELASTICSEARCH_USERNAME: user,
    ELASTICSEARCH_PASSWORD_FILE: undefined,
    INDEX_PREFIX: env.config.indexPrefix,
    ...extra,
  });
}

function clientAs(user: string, extra: Record<string, string> = {}): Client {
  const client = elasticsearchClient(configAs(user, extra), { maxRetries: 0, requestTimeout: 10_000 });
  clients.push(client);
  return client;
}

/** The error of `attempt`, or undefined when it succeeded. */
async function failureOf(attempt: () => Promise<unknown>): Promise<unknown> {
  try {
    await attempt();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** `attempt` is refused for want of a privilege, which the one-line description names. */
async function expectForbidden(attempt: () => Promise<unknown>): Promise<void> {
  const failure = await failureOf(attempt);
  expect(describeSecurityFailure(failure)).toMatch(
    /^Elasticsearch refused the request \(403\): the credential lacks a privilege: action \[[^\]]+\] is unauthorized for user/,
  );
}

const views = randomOrderHistory(seededRandom(7)).map((event) => event.state);
const order = views.at(-1)!;
const prefix = () => env.config.indexPrefix;

it('each user has its password in a file of its own that only the stack user may read', () => {
  for (const { user } of STACK_ES_USERS) {
    const file = configAs(user).elasticsearchPasswordFile;
    expect(file).toMatch(new RegExp(`secrets/elasticsearch-${user}\\.password$`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  }
});

describe('the search projector user', () => {
  it('creates the index with its alias, writes documents, and rebuilds (new index, alias move, drop)', async () => {
    const es = clientAs('tributary-search');
    const [initial] = await ensureOrdersIndex(es, prefix(), { refreshIntervalMs: 500 });
    expect(await writeOrderDocuments(es, ordersAlias(prefix()), views)).toMatchObject({ written: 1 });
    const next = await createOrdersIndex(es, prefix());
    await writeOrderDocuments(es, next, views);
    expect(await swapOrdersAlias(es, prefix(), next)).toEqual([initial]);
    await dropIndices(es, prefix(), [initial!]);
    await es.indices.refresh({ index: ordersAlias(prefix()) });
  });

  it('may not touch other indices, nor the cluster', async () => {
    const es = clientAs('tributary-search');
    await expectForbidden(() => es.indices.create({ index: `${prefix()}other` }));
    await expectForbidden(() => es.index({ index: `${prefix()}other`, document: { a: 1 } }));
    await expectForbidden(() =>
      es.cluster.putSettings({ persistent: { 'cluster.max_shards_per_node': 999 } }),
    );
  });
});

describe('the API user', () => {
  it('searches the index, and at start finds the alias without changing anything', async () => {
    const es = clientAs('tributary-api');
    const result = await searchOrders(es, prefix(), { q: order.id });
    expect(result.orders.map((found) => found.id)).toEqual([order.id]);
    expect(await ensureOrdersIndex(es, prefix())).toHaveLength(1);
  });

  it('gets a 403 writing a document, creating an index, or changing the index', async () => {
    const es = clientAs('tributary-api');
    const alias = ordersAlias(prefix());
    await expectForbidden(() => es.index({ index: alias, id: order.id, document: order }));
    await expectForbidden(() => es.delete({ index: alias, id: order.id }));
    await expectForbidden(() => es.indices.create({ index: `${prefix()}orders-by-the-api` }));
    await expectForbidden(() =>
      es.indices.putSettings({ index: alias, settings: { refresh_interval: '1s' } }),
    );
  });
});

describe('the verify user', () => {
  it('runs the search check: refresh, count, and a scan for orders the store does not have', async () => {
    const es = clientAs('tributary-verify');
    const emptyStore: Executor = { query: async () => [] };
    const { result } = await checkSearch(emptyStore, es, prefix(), {});
    expect(result).toMatchObject({ checked: 0, unexpected: 1 });
    const found = await es.mget({ index: ordersAlias(prefix()), ids: [order.id] });
    expect(found.docs).toHaveLength(1);
  });

  it('cannot write, delete or create', async () => {
    const es = clientAs('tributary-verify');
    const alias = ordersAlias(prefix());
    await expectForbidden(() => es.index({ index: alias, id: order.id, document: order }));
    await expectForbidden(() => es.delete({ index: alias, id: order.id }));
    const [live] = await currentOrdersIndices(es, prefix());
    await expectForbidden(() => es.indices.delete({ index: live! }));
    await expectForbidden(() => es.indices.create({ index: `${prefix()}orders-by-verify` }));
    expect((await es.get({ index: alias, id: order.id })).found).toBe(true);
  });
});

it('a wrong password for a component user: the one line naming the settings', async () => {
  const es = clientAs('tributary-api', { ELASTICSEARCH_PASSWORD: 'wrong' });
  const failure = await failureOf(() => es.count({ index: ordersAlias(prefix()) }));
  expect(describeSecurityFailure(failure)).toBe(
    'Elasticsearch refused the credential (401): check ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and its password',
  );
});
