import { TributaryError } from '../../errors';

/**
 * The PostgreSQL roles of a deployment, one per component: `<prefix><component>`, e.g. `tributary_api`.
 *  - owner: owns the schema and its tables, runs migrations, rebuilds and retention (DDL);
 *  - api: the command and query side;
 *  - relay: REPLICATION; reads the outbox through its slot, writes only its dead letters;
 *  - search, reporting: each projector, its own read model and its own rows of the projector tables;
 *  - readonly: `verify` and listings;
 *  - saga: the order-fulfilment saga, appends events (as the API does) and writes its own tables.
 */
export const ROLE_COMPONENTS = ['owner', 'api', 'relay', 'search', 'reporting', 'readonly', 'saga'] as const;
export type RoleComponent = (typeof ROLE_COMPONENTS)[number];
export type RoleNames = Readonly<Record<RoleComponent, string>>;

/** PostgreSQL truncates longer identifiers, which would make two roles one. */
const MAX_IDENTIFIER = 63;

export function roleNames(prefix: string): RoleNames {
  const names = Object.fromEntries(ROLE_COMPONENTS.map((c) => [c, `${prefix}${c}`])) as Record<
    RoleComponent,
    string
  >;
  const long = Object.values(names).find((name) => name.length > MAX_IDENTIFIER);
  if (long !== undefined) {
    throw new TributaryError(
      'config.invalid',
      `DB_ROLE_PREFIX: role name '${long}' is longer than ${MAX_IDENTIFIER} characters`,
    );
  }
  return names;
}
