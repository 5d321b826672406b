import { escapeIdentifier, escapeLiteral } from 'pg';
import { TributaryError } from '../../errors';
import type { Executor } from '../executor';
import { ROLE_COMPONENTS, type RoleComponent, type RoleNames } from './names';
import { scramVerifier } from './scram';

/**
 * `tributary db roles`: the deployment's roles and what only an administrator can give them, idempotently.
 * Run it with a role that has CREATEROLE (the stack's superuser; a managed PostgreSQL's admin user). Grants
 * on tables are not here: the owner gives them in `tributary setup`, after the migrations that create the
 * tables (grants.ts and privileges.ts).
 *
 * What a managed PostgreSQL may refuse a non-superuser (REPLICATION on PostgreSQL 15, the revoke on
 * `pg_logical_emit_message`, adopting objects another role owns) is reported as a note with what to do
 * instead, not thrown: everything else still gets done. docs/security.md lists the provider commands.
 */

export interface RolesOptions {
  roles: RoleNames;
  /** A password per role; a role without one keeps its password (a new one gets none). Never logged. */
  passwords: Partial<Record<RoleComponent, string>>;
  /** The relay's publication, adopted by the owner with the tables. */
  publication: string;
}

export interface RolesReport {
  created: string[];
  /** What could not be done, each with what to do instead. */
  notes: string[];
}

const ROLE_SQL = `select rolname, rolcanlogin, rolreplication, rolsuper, rolbypassrls from pg_roles where rolname = $1`;
type RoleRow = {
  rolname: string;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolsuper: boolean;
  rolbypassrls: boolean;
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function ensureRoles(executor: Executor, options: RolesOptions): Promise<RolesReport> {
  const report: RolesReport = { created: [], notes: [] };
  for (const component of ROLE_COMPONENTS) {
    await ensureRole(executor, component, options, report);
  }
  const [where] = await executor.query<{ database: string; schema: string | null }>(
    `select current_database() as database, current_schema() as schema`,
  );
  if (!where?.schema) throw new TributaryError('internal', 'the connection has no current schema');
  await grantDatabaseAndSchema(executor, options.roles, where.database, where.schema, report);
  await adoptObjects(executor, options, where.schema, report);
  await restrictLogicalMessages(executor, options.roles, report);
  return report;
}

/** Creates the role when missing; makes it a LOGIN role with REPLICATION for the relay only. */
async function ensureRole(
  executor: Executor,
  component: RoleComponent,
  options: RolesOptions,
  report: RolesReport,
): Promise<void> {
  const name = options.roles[component];
  const role = escapeIdentifier(name);
  const password = options.passwords[component];
  const passwordSql = password ? ` password ${escapeLiteral(scramVerifier(password))}` : '';
  let [row] = await executor.query<RoleRow>(ROLE_SQL, [name]);
  if (!row) {
    await executor.query(`create role ${role} with login${passwordSql}`);
    report.created.push(name);
    if (!password) report.notes.push(`${name} has no password: it can log in only where pg_hba trusts it`);
    [row] = await executor.query<RoleRow>(ROLE_SQL, [name]);
  } else if (password) {
    await executor.query(`alter role ${role} with password ${escapeLiteral(scramVerifier(password))}`);
  }
  if (!row) throw new TributaryError('internal', `role ${name} was created but cannot be found`);
  if (!row.rolcanlogin) await executor.query(`alter role ${role} with login`);
  if (row.rolsuper || row.rolbypassrls) {
    report.notes.push(
      `${name} is a superuser or bypasses row-level security: no grant limits it; remove that`,
    );
  }
  const replication = component === 'relay';
  if (row.rolreplication === replication) return;
  try {
    await executor.query(`alter role ${role} with ${replication ? 'replication' : 'noreplication'}`);
  } catch (error) {
    report.notes.push(
      replication
        ? `could not give ${name} REPLICATION (${message(error)}): on RDS/Aurora \`grant rds_replication to ${name}\`, elsewhere ask a superuser`
        : `${name} has REPLICATION and could not lose it (${message(error)})`,
    );
  }
}

/** Connecting, temporary tables (verify's), and the schema: the owner creates in it, the others use it. */
async function grantDatabaseAndSchema(
  executor: Executor,
  roles: RoleNames,
  database: string,
  schema: string,
  report: RolesReport,
): Promise<void> {
  const all = Object.values(roles).map(escapeIdentifier).join(', ');
  const others = ROLE_COMPONENTS.filter((c) => c !== 'owner')
    .map((c) => escapeIdentifier(roles[c]))
    .join(', ');
  const owner = escapeIdentifier(roles.owner);
  const db = escapeIdentifier(database);
  const s = escapeIdentifier(schema);
  await executor.query(`grant connect, temporary on database ${db} to ${all}`);
  // CREATE on the database: the owner creates the relay's publication.
  await executor.query(`grant create on database ${db} to ${owner}`);
  await executor.query(`grant usage on schema ${s} to ${others}`);
  await executor.query(`grant usage, create on schema ${s} to ${owner}`);
  try {
    // PostgreSQL 15 no longer lets PUBLIC create in `public`; a database created by an older one still does.
    await executor.query(`revoke create on schema ${s} from public`);
  } catch (error) {
    report.notes.push(`could not revoke CREATE on schema ${schema} from PUBLIC (${message(error)})`);
  }
}

/**
 * Tables, views, sequences and functions of the schema, and the publication, owned by another role (a
 * database migrated before the roles existed, by the administrator) become the owner's, so the owner can run
 * the next migrations and grant on them. Identity sequences follow their table.
 */
export const FOREIGN_OBJECTS_SQL = `
select format('alter %s %s owner to %I',
         case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
                        when 'f' then 'foreign table' else 'table' end,
         c.oid::regclass, $2::text) as sql
from pg_class c
where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  and c.relowner <> $2::regrole
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                  and d.deptype in ('a', 'i', 'e'))
union all
select format('alter function %s owner to %I', p.oid::regprocedure, $2::text)
from pg_proc p
where p.pronamespace = $1::regnamespace and p.proowner <> $2::regrole
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                  and d.deptype = 'e')
union all
select format('alter publication %I owner to %I', pubname, $2::text)
from pg_publication where pubname = $3 and pubowner <> $2::regrole`;

async function adoptObjects(
  executor: Executor,
  options: RolesOptions,
  schema: string,
  report: RolesReport,
): Promise<void> {
  const statements = await executor.query<{ sql: string }>(FOREIGN_OBJECTS_SQL, [
    schema,
    options.roles.owner,
    options.publication,
  ]);
  for (const { sql } of statements) {
    try {
      await executor.query(sql);
    } catch (error) {
      report.notes.push(`could not run \`${sql}\` (${message(error)}): run it as the object's owner`);
    }
  }
}

/**
 * Only the API and the saga write outbox entries as logical messages (OUTBOX_MODE=message): PUBLIC may execute
 * `pg_logical_emit_message` by default, so any role could inject an entry the relay would publish. The owner
 * keeps EXECUTE for `relay_heartbeat()`, which runs with its rights. A REVOKE without the right to revoke
 * only warns, so the result is read back from the catalog.
 */
export const EMIT_MESSAGE_FUNCTIONS_SQL = `
select p.oid::regprocedure::text as fn,
       p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0) as public_may
from pg_proc p where p.proname = 'pg_logical_emit_message'`;

async function restrictLogicalMessages(
  executor: Executor,
  roles: RoleNames,
  report: RolesReport,
): Promise<void> {
  const grantees = [roles.api, roles.saga, roles.owner].map(escapeIdentifier).join(', ');
  for (const { fn } of await executor.query<{ fn: string }>(EMIT_MESSAGE_FUNCTIONS_SQL)) {
    try {
      await executor.query(`revoke execute on function ${fn} from public`);
      await executor.query(`grant execute on function ${fn} to ${grantees}`);
    } catch (error) {
      report.notes.push(`could not restrict ${fn} (${message(error)})`);
    }
  }
  const open = (await executor.query<{ fn: string; public_may: boolean }>(EMIT_MESSAGE_FUNCTIONS_SQL)).filter(
    (row) => row.public_may,
  );
  if (open.length > 0) {
    report.notes.push(
      `every role may still execute ${open.map((row) => row.fn).join(', ')} and so write outbox messages: a superuser must \`revoke execute … from public\``,
    );
  }
}
