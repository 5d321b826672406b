import { escapeIdentifier, escapeLiteral } from 'pg';
import type { RoleComponent, RoleNames } from './names';

/**
 * Who may do what to each table: the one place the components' rights are written down. The owner owns every
 * table and needs no grant. Every table of the schema has a row here, an empty one included (an integration
 * test compares this table with the migrated schema), so a new table is a decision, not an accident.
 *
 * Each right is one the component's statements need, no more:
 *  - api: appends events (INSERT, and SELECT to load streams) — never UPDATE or DELETE; moves a stream's
 *    version (`streams`: INSERT, UPDATE, and SELECT … FOR UPDATE, which needs UPDATE); upserts snapshots;
 *    writes outbox rows (DELETE for OUTBOX_MODE=table-transient, which deletes them in the same transaction);
 *    keeps idempotency keys (and deletes expired ones); looks API keys up; reads the read models and their freshness for its queries;
 *  - relay: reads the outbox (through its slot) and writes only its own dead letters;
 *  - search, reporting: each its own rows of the projector tables (row-level security, below) and, for
 *    reporting, its report tables (upserts and deletes of running sums); the search read model lives in
 *    Elasticsearch;
 *  - readonly: reads what `verify` and the listings compare — never idempotency keys (stored responses);
 *  - saga: appends events as the API does (events, streams, snapshots, outbox; no idempotency keys, its
 *    commands carry none) and writes its own tables; the API reads a saga's steps.
 * Retention (`outbox prune`) and rebuilds run as the owner.
 */
export type Privilege = 'select' | 'insert' | 'update' | 'delete';
export type Grantee = Exclude<RoleComponent, 'owner'>;
export const GRANTEES: readonly Grantee[] = ['api', 'relay', 'search', 'reporting', 'readonly', 'saga'];

type TableGrants = Readonly<Partial<Record<Grantee, readonly Privilege[]>>>;

const READ_MODEL: TableGrants = {
  api: ['select'],
  reporting: ['select', 'insert', 'update', 'delete'],
  readonly: ['select'],
};

export const TABLE_GRANTS: Readonly<Record<string, TableGrants>> = {
  events: { api: ['select', 'insert'], saga: ['select', 'insert'], readonly: ['select'] },
  streams: {
    api: ['select', 'insert', 'update'],
    saga: ['select', 'insert', 'update'],
    readonly: ['select'],
  },
  snapshots: {
    api: ['select', 'insert', 'update'],
    saga: ['select', 'insert', 'update'],
    readonly: ['select'],
  },
  outbox: {
    api: ['select', 'insert', 'delete'],
    saga: ['select', 'insert', 'delete'],
    relay: ['select'],
    readonly: ['select'],
  },
  outbox_retention_marks: {},
  // DELETE: an expired key is removed before its reuse, and by the API's cleanup job.
  idempotency_keys: { api: ['select', 'insert', 'delete'] },
  // The API looks keys up; creating and revoking them (`tributary auth api-key`) is the owner's. Nobody else
  // reads even their hashes.
  api_keys: { api: ['select'] },
  // The CRUD example's entity: a CRUD app sharing the store runs under a role of its own.
  crud_customers: {},
  // The backfill's checkpoints: the backfill runs with the CRUD app's own connection (its DataSource), as the
  // subscriber does; `verify` and operators may read how far it got.
  backfill_checkpoints: { readonly: ['select'] },
  projection_checkpoints: {
    api: ['select'],
    search: ['select', 'insert', 'update'],
    reporting: ['select', 'insert', 'update'],
    readonly: ['select'],
  },
  projection_dead_letters: {
    search: ['select', 'insert', 'update'],
    reporting: ['select', 'insert', 'update'],
    readonly: ['select'],
  },
  // UPDATE for the row locks (FOR SHARE / FOR UPDATE) that order a replay against live batches.
  projection_parked: {
    search: ['select', 'insert', 'update', 'delete'],
    reporting: ['select', 'insert', 'update', 'delete'],
    readonly: ['select'],
  },
  projection_applied_events: { reporting: ['select', 'insert'], readonly: ['select'] },
  report_order_contributions: READ_MODEL,
  report_daily: READ_MODEL,
  report_customers: READ_MODEL,
  report_skus: READ_MODEL,
  relay_dead_letters: { relay: ['select', 'insert', 'update'], readonly: ['select'] },
  // The fulfilment saga's own tables (src/saga); the API reads a saga and its steps (GET /orders/:id/fulfilment).
  sagas: { saga: ['select', 'insert', 'update'], api: ['select'], readonly: ['select'] },
  saga_steps: { saga: ['select', 'insert'], api: ['select'], readonly: ['select'] },
  saga_timers: { saga: ['select', 'insert', 'update', 'delete'], readonly: ['select'] },
  saga_applied_events: { saga: ['select', 'insert', 'delete'], readonly: ['select'] },
  // TypeORM's record of the migrations that ran.
  migrations: {},
};

/**
 * Tables every projector shares, keyed by its name in the `projector` column. Row-level security gives each
 * projector's role its own rows only (so the search projector cannot park, replay or fake reporting's
 * state), and the roles that read them all rows. The owner, as the tables' owner, is not subject to it.
 */
export const PROJECTOR_TABLES = [
  'projection_checkpoints',
  'projection_dead_letters',
  'projection_parked',
  'projection_applied_events',
] as const;
const PROJECTOR_OF: Partial<Record<Grantee, string>> = { search: 'search', reporting: 'reporting' };

/** Functions a role may execute beyond PUBLIC's: the relay's heartbeat (see the LeastPrivilege migration). */
export const FUNCTION_GRANTS: Readonly<Record<string, readonly Grantee[]>> = {
  'relay_heartbeat()': ['relay'],
};

/**
 * The statements that bring every table's grants and policies to this table, run by the owner in one
 * transaction. They revoke first, so a right removed here is removed from the database too.
 */
export function grantStatements(roles: RoleNames): string[] {
  const role = (grantee: Grantee) => escapeIdentifier(roles[grantee]);
  const everyone = ['public', ...GRANTEES.map(role)].join(', ');
  const statements: string[] = [];
  for (const [table, grants] of Object.entries(TABLE_GRANTS)) {
    statements.push(`revoke all on table ${table} from ${everyone}`);
    for (const grantee of GRANTEES) {
      const privileges = grants[grantee];
      if (privileges && privileges.length > 0) {
        statements.push(`grant ${privileges.join(', ')} on table ${table} to ${role(grantee)}`);
      }
    }
  }
  for (const table of PROJECTOR_TABLES) statements.push(...policyStatements(table, roles));
  for (const [fn, grantees] of Object.entries(FUNCTION_GRANTS)) {
    statements.push(`revoke all on function ${fn} from ${everyone}`);
    for (const grantee of grantees) statements.push(`grant execute on function ${fn} to ${role(grantee)}`);
  }
  return statements;
}

/** Row-level security of one projector table: a projector's own rows, or every row to read. */
function policyStatements(table: (typeof PROJECTOR_TABLES)[number], roles: RoleNames): string[] {
  const statements = [`alter table ${table} enable row level security`];
  for (const grantee of GRANTEES) {
    const privileges = TABLE_GRANTS[table]?.[grantee];
    if (!privileges || privileges.length === 0) continue;
    const policy = escapeIdentifier(`${roles[grantee]}_rows`);
    const projector = PROJECTOR_OF[grantee];
    statements.push(`drop policy if exists ${policy} on ${table}`);
    statements.push(
      projector === undefined
        ? `create policy ${policy} on ${table} for select to ${escapeIdentifier(roles[grantee])} using (true)`
        : `create policy ${policy} on ${table} for all to ${escapeIdentifier(roles[grantee])}
           using (projector = ${escapeLiteral(projector)}) with check (projector = ${escapeLiteral(projector)})`,
    );
  }
  return statements;
}
