import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { openRolesFixture, type RolesFixture } from '../../../test/fixtures/roles';
import { HEARTBEAT_PREFIX } from '../../relay/transaction-buffer';
import { pgExecutor } from '../executor';
import { ensureRoles } from './create-roles';
import { TABLE_GRANTS } from './privileges';
import { scramVerifier } from './scram';

/**
 * The rights of each component's role, against the real PostgreSQL: each role tries what it must not do and
 * is refused by the server, not by our code.
 */

const PERMISSION_DENIED = '42501';

/** The SQLSTATE a statement fails with (or 'ok'). */
async function outcomeOf(running: Promise<unknown>): Promise<string> {
  try {
    await running;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const outcome = (client: Client, sql: string, params: unknown[] = []) => outcomeOf(client.query(sql, params));

async function failure(client: Client, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await client.query(sql, params);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected "${sql}" to fail`);
}

const insertEvent = (client: Client, streamId = `s-${randomUUID()}`) =>
  client.query(
    `insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                         occurred_at)
     values ($1, 'thing', 1, $2, 'ThingHappened', 1, '{}', now())`,
    [streamId, randomUUID()],
  );

describe('a PostgreSQL role per component', () => {
  let fx: RolesFixture;
  let owner: Client;
  let api: Client;
  let relay: Client;
  let search: Client;
  let reporting: Client;
  let readonly: Client;

  beforeAll(async () => {
    fx = await openRolesFixture(__filename);
    owner = await fx.connect('owner');
    api = await fx.connect('api');
    relay = await fx.connect('relay');
    search = await fx.connect('search');
    reporting = await fx.connect('reporting');
    readonly = await fx.connect('readonly');
    await insertEvent(api, 'seed');
  });
  afterAll(async () => {
    await fx?.close();
  });

  describe('events are append-only', () => {
    it('the API role may append and read events but not UPDATE, DELETE or TRUNCATE them', async () => {
      await expect(insertEvent(api)).resolves.toBeDefined();
      expect((await api.query(`select count(*)::int as n from events`)).rows[0].n).toBeGreaterThan(0);
      expect(await failure(api, `update events set data = '{"forged": true}'`)).toMatch(
        /permission denied for table events/,
      );
      expect(await failure(api, `delete from events`)).toMatch(/permission denied for table events/);
      expect(await failure(api, `truncate events`)).toMatch(/permission denied for table events/);
    });

    it('not through a function either: it cannot create one in the schema, and one of its own runs with its own rights', async () => {
      expect(
        await failure(api, `create function forge() returns void language sql as 'delete from events'`),
      ).toMatch(/permission denied for schema public/);
      // A temporary function (pg_temp) is allowed, and runs as the API role: still refused.
      await api.query(
        `create function pg_temp.forge() returns void language sql as 'update events set data = ''{}'''`,
      );
      expect(await failure(api, `select pg_temp.forge()`)).toMatch(/permission denied for table events/);
    });

    it('no SECURITY DEFINER function of the schema is executable by the API, the projectors or the read-only role', async () => {
      const { rows } = await owner.query<{ fn: string; role: string }>(
        `select p.oid::regprocedure::text as fn, r.rolname as role
         from pg_proc p cross join pg_roles r
         where p.pronamespace = 'public'::regnamespace and p.prosecdef
           and r.rolname = any($1) and has_function_privilege(r.oid, p.oid, 'execute')`,
        [[fx.roles.api, fx.roles.search, fx.roles.reporting, fx.roles.readonly]],
      );
      expect(rows).toEqual([]);
      // The one there is, the relay's heartbeat, only emits the relay's heartbeat message.
      const { rows: definers } = await owner.query<{ fn: string; src: string }>(
        `select p.oid::regprocedure::text as fn, p.prosrc as src
         from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prosecdef`,
      );
      expect(definers.map((d) => d.fn)).toEqual(['relay_heartbeat()']);
      expect(definers[0]!.src).toContain(`pg_logical_emit_message(true, '${HEARTBEAT_PREFIX}', now()::text)`);
    });

    it('the trigger refuses the owner an UPDATE, DELETE or TRUNCATE unless the maintenance switch is set, and logs it when it is', async () => {
      expect(await failure(owner, `update events set data = '{}' where stream_id = 'seed'`)).toMatch(
        /events is append-only: UPDATE refused/,
      );
      expect(await failure(owner, `delete from events where stream_id = 'seed'`)).toMatch(
        /events is append-only: DELETE refused/,
      );
      expect(await failure(owner, `truncate events`)).toMatch(/events is append-only: TRUNCATE refused/);
      // Session-wide "off" or any other value is not the switch.
      await owner.query(`set tributary.maintenance = 'yes'`);
      expect(await outcome(owner, `update events set data = '{}' where stream_id = 'seed'`)).toBe(
        PERMISSION_DENIED,
      );
      await owner.query(`reset tributary.maintenance`);

      const notices: string[] = [];
      const onNotice = (notice: { message?: string }) => notices.push(notice.message ?? '');
      owner.on('notice', onNotice);
      try {
        await owner.query('begin');
        await owner.query(`set local tributary.maintenance = 'on'`);
        const updated = await owner.query(
          `update events set metadata = '{"corrected": true}' where stream_id = 'seed'`,
        );
        await owner.query('commit');
        expect(updated.rowCount).toBe(1);
      } finally {
        owner.off('notice', onNotice);
      }
      expect(notices).toEqual([`events: UPDATE by ${fx.roles.owner} under tributary.maintenance`]);
      // SET LOCAL ended with the transaction.
      expect(await outcome(owner, `delete from events where stream_id = 'seed'`)).toBe(PERMISSION_DENIED);
    });
  });

  describe('each role writes only its own tables', () => {
    const writable = async (role: string) =>
      (
        await owner.query<{ table: string }>(
          `select c.relname as table from pg_class c
           where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
             and has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           order by 1`,
          [role],
        )
      ).rows.map((row) => row.table);

    it('the relay role may write its dead-letter table and nothing else', async () => {
      expect(await writable(fx.roles.relay)).toEqual(['relay_dead_letters']);
      expect(await outcome(relay, `select count(*) from outbox`)).toBe('ok');
      expect(
        await outcome(
          relay,
          `insert into relay_dead_letters (slot, lsn, reason, payload) values ('s', '0/1', 'too large', 'x')`,
        ),
      ).toBe('ok');
      expect(await outcome(relay, `delete from outbox`)).toBe(PERMISSION_DENIED);
      expect(await outcome(relay, `delete from relay_dead_letters`)).toBe(PERMISSION_DENIED);
      expect(
        await outcome(
          relay,
          `insert into outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version, payload)
           values (gen_random_uuid(), 'order', 'o-1', 1, 'OrderCreated', 1, '{}')`,
        ),
      ).toBe(PERMISSION_DENIED);
      expect(await outcomeOf(insertEvent(relay))).toBe(PERMISSION_DENIED);
      expect(await outcome(relay, `create table relay_own (id int)`)).toBe(PERMISSION_DENIED);
    });

    it("a projector role writes its own read model and rows, never another projector's nor the event store", async () => {
      expect(await writable(fx.roles.search)).toEqual([
        'projection_checkpoints',
        'projection_dead_letters',
        'projection_parked',
      ]);
      const checkpoint = `insert into projection_checkpoints (projector) values ($1) on conflict (projector) do update set lag = '{}'`;
      expect(await outcome(search, checkpoint, ['search'])).toBe('ok');
      expect(await outcome(reporting, checkpoint, ['reporting'])).toBe('ok');
      // Row-level security: another projector's rows can be neither written nor seen.
      expect(await failure(search, checkpoint, ['reporting'])).toMatch(/row-level security/);
      expect(await failure(reporting, checkpoint, ['search'])).toMatch(/row-level security/);
      const stolen = await search.query(
        `update projection_checkpoints set lag = '{"x": 1}' where projector = 'reporting'`,
      );
      expect(stolen.rowCount).toBe(0);
      expect((await search.query(`select projector from projection_checkpoints`)).rows).toEqual([
        { projector: 'search' },
      ]);
      expect(
        await failure(
          search,
          `insert into projection_parked (projector, aggregate_id, first_dead_letter) values ('reporting', 'o-1', 1)`,
        ),
      ).toMatch(/row-level security/);

      expect(await outcome(reporting, `delete from report_daily`)).toBe('ok');
      expect(await outcome(search, `delete from report_daily`)).toBe(PERMISSION_DENIED);
      expect(await outcome(search, `select 1 from report_customers`)).toBe(PERMISSION_DENIED);
      for (const client of [search, reporting]) {
        expect(await outcomeOf(insertEvent(client))).toBe(PERMISSION_DENIED);
        expect(await outcome(client, `delete from outbox`)).toBe(PERMISSION_DENIED);
        expect(await outcome(client, `delete from relay_dead_letters`)).toBe(PERMISSION_DENIED);
      }
    });

    it('the read-only role reads every projector row and writes nothing', async () => {
      expect(await writable(fx.roles.readonly)).toEqual([]);
      const { rows } = await readonly.query<{ projector: string }>(
        `select projector from projection_checkpoints order by 1`,
      );
      expect(rows.map((row) => row.projector)).toEqual(['reporting', 'search']);
      expect(await outcome(readonly, `select count(*) from events`)).toBe('ok');
      expect(await outcome(readonly, `select count(*) from idempotency_keys`)).toBe(PERMISSION_DENIED);
      // verify's working table is a temporary one.
      expect(await outcome(readonly, `create temporary table verify_scratch (id text)`)).toBe('ok');
    });

    it('the API role writes the write side only: no read model, no projector or relay state', async () => {
      expect(await writable(fx.roles.api)).toEqual([
        'events',
        'idempotency_keys',
        'outbox',
        'snapshots',
        'streams',
      ]);
      expect(await outcome(api, `select count(*) from report_daily`)).toBe('ok');
      expect(await outcome(api, `delete from report_daily`)).toBe(PERMISSION_DENIED);
    });

    it('the saga role appends events and writes its own tables, nothing else', async () => {
      expect(await writable(fx.roles.saga)).toEqual([
        'events',
        'outbox',
        'saga_applied_events',
        'saga_steps',
        'saga_timers',
        'sagas',
        'snapshots',
        'streams',
      ]);
    });

    it('every table of the schema is in the grants table, so a new one gets its rights by decision', async () => {
      const { rows } = await owner.query<{ table: string }>(
        `select tablename as table from pg_tables where schemaname = 'public' order by 1`,
      );
      expect(rows.map((row) => row.table)).toEqual(Object.keys(TABLE_GRANTS).sort());
    });
  });

  describe('logical messages and backends', () => {
    it('only the API (and the saga: test/saga-role.int.spec.ts) may emit a logical message (an outbox entry in message mode); the relay only its heartbeat', async () => {
      const emit = `select pg_logical_emit_message(true, 'tributary.outbox', '{}')`;
      expect(await outcome(api, emit)).toBe('ok');
      for (const client of [relay, search, reporting, readonly])
        expect(await outcome(client, emit)).toBe(PERMISSION_DENIED);
      expect(await outcome(relay, `select relay_heartbeat()`)).toBe('ok');
      for (const client of [api, search, reporting, readonly]) {
        expect(await outcome(client, `select relay_heartbeat()`)).toBe(PERMISSION_DENIED);
      }
    });

    it('REPLICATION is broader than any grant: through a test_decoding slot the relay reads changes of a table it may not SELECT', async () => {
      const slot = `${fx.env.name}_breadth`;
      await relay.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
      await owner.query(
        `insert into api_keys (id, client_id, prefix, secret_hash, roles) values (gen_random_uuid(), 'c', 'trb_x', $1, '{admin}')`,
        [Buffer.alloc(32)],
      );
      expect(await outcome(relay, `select * from api_keys`)).toBe(PERMISSION_DENIED);
      const { rows } = await relay.query<{ data: string }>(
        `select data from pg_logical_slot_get_changes($1, null, null)`,
        [slot],
      );
      expect(rows.some((row) => row.data.startsWith('table public.api_keys: INSERT'))).toBe(true);
      await relay.query(`select pg_drop_replication_slot($1)`, [slot]);
    });

    it("the relay role may end its own role's backends (a stale walsender), not the API's", async () => {
      const pid = async (client: Client) =>
        (await client.query(`select pg_backend_pid() as pid`)).rows[0].pid as number;
      expect(await outcome(relay, `select pg_terminate_backend($1)`, [await pid(api)])).toBe(
        PERMISSION_DENIED,
      );
      const other = await fx.connect('relay');
      const { rows } = await relay.query(`select pg_terminate_backend($1, 5000) as ended`, [
        await pid(other),
      ]);
      expect(rows[0].ended).toBe(true);
    });
  });

  describe('db roles and setup', () => {
    it('are idempotent: a second run creates nothing and still succeeds', async () => {
      const admin = await fx.env.pg();
      const report = await ensureRoles(pgExecutor(admin), {
        roles: fx.roles,
        passwords: fx.passwords,
        publication: fx.config.relayPublication,
      });
      expect(report).toEqual({ created: [], notes: [] });
      expect(fx.setup.grantedTo).toHaveLength(6);
    });

    it('store SCRAM verifiers, computed as PostgreSQL computes them', async () => {
      const admin = await fx.env.pg();
      const { rows } = await admin.query<{ password: string }>(
        `select rolpassword as password from pg_authid where rolname = $1`,
        [fx.roles.api],
      );
      const stored = rows[0]!.password;
      expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
      // PostgreSQL's own verifier of a password, recomputed with its salt.
      await admin.query(`alter role ${fx.roles.readonly} password 'correct horse'`);
      const theirs = (
        await admin.query<{ password: string }>(
          `select rolpassword as password from pg_authid where rolname = $1`,
          [fx.roles.readonly],
        )
      ).rows[0]!.password;
      const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(theirs)!;
      expect(
        scramVerifier('correct horse', {
          salt: Buffer.from(salt!, 'base64'),
          iterations: Number(iterations),
        }),
      ).toBe(theirs);
      await ensureRoles(pgExecutor(admin), {
        roles: fx.roles,
        passwords: fx.passwords,
        publication: fx.config.relayPublication,
      });
    });
  });
});
