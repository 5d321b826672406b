import { esPasswordSecret, ORDERS_INDEX_PATTERNS, rolesYml, STACK_ES_USERS } from './elasticsearch-realm';
import { initialOrdersIndex, newOrdersIndexName, ordersAlias } from '../projections/search';

/** A name matches an Elasticsearch index pattern of literal parts and `*`. */
const matches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.split('*').map(literal).join('.*')}$`).test(name);
const literal = (part: string) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&');

describe('the stack Elasticsearch roles', () => {
  it('cover the alias and every concrete index of any INDEX_PREFIX, and nothing else of the read models', () => {
    for (const prefix of ['', 'prod-', 't-elasticsearch-users-1a2b3c4d-']) {
      for (const name of [ordersAlias(prefix), initialOrdersIndex(prefix), newOrdersIndexName(prefix)]) {
        expect(ORDERS_INDEX_PATTERNS.some((pattern) => matches(pattern, name))).toBe(true);
      }
    }
    for (const name of ['customers', '.security-7', 'reports']) {
      expect(ORDERS_INDEX_PATTERNS.some((pattern) => matches(pattern, name))).toBe(false);
    }
  });

  it('give no cluster privilege, write only to the projector, and no role the write-capable `all`', () => {
    const yml = rolesYml();
    expect(yml.match(/^ {2}cluster: \[\]$/gm)).toHaveLength(STACK_ES_USERS.length);
    const writers = STACK_ES_USERS.filter(({ privileges }) =>
      privileges.some((privilege) => ['write', 'manage', 'all', 'index', 'delete'].includes(privilege)),
    );
    expect(writers.map(({ user }) => user)).toEqual(['tributary-search']);
    for (const { role, privileges } of STACK_ES_USERS) {
      expect(yml).toContain(`${role}:`);
      expect(yml).toContain(`privileges: [${privileges.map((p) => `'${p}'`).join(', ')}]`);
    }
  });

  it("each user's password file is named after it, as ELASTICSEARCH_PASSWORD_FILE's default", () => {
    expect(esPasswordSecret('tributary-api')).toBe('elasticsearch-tributary-api.password');
  });
});
