import { Pool, type Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Isolated } from '../../test/harness';
import { createEventStoreFor } from '../commands';
import type { EventStore } from '../eventstore';
import { backfill, type BackfillProgress } from './backfill';
import { CUSTOMER_EVENTS, openSubscriberFixture, type SubscriberFixture } from '../../test/fixtures/crud';
import { Customer } from './example/customer.entity';
import type { SubscribedEntity } from './subscriber';

/**
 * The backfill on the real PostgreSQL: one CustomerImported event per existing row, chunked by primary key,
 * resumable from its checkpoint, idempotent, and exact next to the subscriber (a row it changes first is
 * imported by it, never twice). The concurrent-writes race is in backfill-race.int.spec.ts, the SIGKILL one in
 * backfill-kill.int.spec.ts.
 */

const mapping = CUSTOMER_EVENTS;
let fx: SubscriberFixture;
let env: Isolated;
let pool: Pool;
let dataSource: DataSource;
let store: EventStore;
let db: Client;

// A database per test: the events table is append-only (no TRUNCATE), and each test counts all of it.
beforeEach(async () => {
  fx = await openSubscriberFixture(__filename);
  ({ env, pool, store, dataSource, db } = fx);
});

afterEach(() => fx?.close());

/** Rows written before the app adopted Tributary: raw SQL, no subscriber, no stream. */
async function seed(rows: number): Promise<void> {
  await db.query(
    `insert into crud_customers (id, name, email, tier)
     select gen_random_uuid(), 'seed-' || g, 'seed-' || g || '@example.com', 'standard' from generate_series(1, $1) g`,
    [rows],
  );
}

/** Import events per row of the table: the rows with other than exactly one. */
async function rowsWithoutOneImport(): Promise<{ id: string; imports: number }[]> {
  const { rows } = await db.query<{ id: string; imports: number }>(
    `select c.id, count(e.event_id)::int as imports
     from crud_customers c left join events e on e.stream_id = 'customer-' || c.id and e.event_type = 'CustomerImported'
     group by c.id having count(e.event_id) <> 1`,
  );
  return rows;
}

async function counts(): Promise<{ events: number; outbox: number; streams: number }> {
  const { rows } = await db.query<{ events: number; outbox: number; streams: number }>(
    `select (select count(*)::int from events) as events, (select count(*)::int from outbox) as outbox,
            (select count(*)::int from streams) as streams`,
  );
  return rows[0]!;
}

async function eventsOf(id: string) {
  const { rows } = await db.query<{ type: string; data: Record<string, unknown>; xid: string }>(
    `select event_type as type, data, transaction_id::text as xid from events where stream_id = $1
     order by stream_version`,
    [`customer-${id}`],
  );
  return rows;
}

test('2,500 rows in chunks of 1,000: three chunks, one import event and one outbox entry per row, with the row as data', async () => {
  await seed(2500);
  const seen: number[] = [];
  const result = await backfill(dataSource, {
    store,
    entity: mapping,
    chunkSize: 1000,
    onProgress: (progress) => seen.push(progress.rowsSeen),
  });
  expect(seen).toEqual([1000, 2000, 2500]);
  expect(result).toMatchObject({ entity: 'Customer', total: 2500, rowsSeen: 2500, rowsImported: 2500 });
  expect(result.finished).toBe(true);
  expect(await rowsWithoutOneImport()).toEqual([]);
  expect(await counts()).toEqual({ events: 2500, outbox: 2500, streams: 2500 });
  // Each chunk is one transaction: 1,000 + 1,000 + 500 events.
  const { rows: perTransaction } = await db.query<{ n: number }>(
    'select count(*)::int as n from events group by transaction_id order by min(global_position)',
  );
  expect(perTransaction.map((row) => row.n)).toEqual([1000, 1000, 500]);
  const [row] = (await db.query('select id, name, email from crud_customers limit 1')).rows;
  const events = await eventsOf(row.id);
  expect(events).toHaveLength(1);
  expect(events[0]!.type).toBe('CustomerImported');
  expect(events[0]!.data).toMatchObject({ id: row.id, name: row.name, email: row.email, tier: 'standard' });
  const { rows: checkpoint } = await db.query(
    `select last_key, rows_seen::int, rows_imported::int, finished_at is not null as finished
     from backfill_checkpoints where entity = 'Customer'`,
  );
  const { rows: last } = await db.query('select max(id::text) as id from crud_customers');
  expect(checkpoint).toEqual([
    { last_key: [last[0].id], rows_seen: 2500, rows_imported: 2500, finished: true },
  ]);
});

test('a run stopped after its first chunk resumes from the checkpoint: the second run starts at row 1,000 and imports the rest', async () => {
  await seed(2500);
  const stop = new AbortController();
  const first = await backfill(dataSource, {
    store,
    entity: mapping,
    chunkSize: 1000,
    signal: stop.signal,
    onProgress: () => stop.abort(),
  });
  expect(first).toMatchObject({ rowsSeen: 1000, rowsImported: 1000, finished: false });
  expect((await counts()).events).toBe(1000);

  const progress: BackfillProgress[] = [];
  const second = await backfill(dataSource, {
    store,
    entity: mapping,
    chunkSize: 1000,
    onProgress: (p) => progress.push(p),
  });
  expect(progress.map((p) => p.rowsSeen)).toEqual([2000, 2500]);
  expect(second).toMatchObject({ resumedAt: 1000, rowsSeen: 2500, rowsImported: 2500, finished: true });
  expect(await rowsWithoutOneImport()).toEqual([]);
  expect(await counts()).toEqual({ events: 2500, outbox: 2500, streams: 2500 });
});

test('running it twice imports nothing the second time: the new pass finds every stream there', async () => {
  await seed(1200);
  await backfill(dataSource, { store, entity: mapping, chunkSize: 500 });
  const before = await counts();
  const again = await backfill(dataSource, { store, entity: mapping, chunkSize: 500 });
  expect(again).toMatchObject({ resumedAt: 0, rowsSeen: 1200, rowsImported: 0, finished: true });
  expect(await counts()).toEqual(before);
  expect(await rowsWithoutOneImport()).toEqual([]);
});

test('the subscriber imports a row it changes before the backfill did (state before the change, then the change); the backfill skips it', async () => {
  await seed(3);
  const [updated, removed, untouched] = (
    await db.query<{ id: string; name: string }>('select id, name from crud_customers order by id')
  ).rows;
  const loaded = await dataSource.manager.findOneByOrFail(Customer, { id: updated!.id });
  loaded.tier = 'gold';
  await dataSource.manager.save(loaded);
  await dataSource.manager.remove(await dataSource.manager.findOneByOrFail(Customer, { id: removed!.id }));
  const inserted = Object.assign(new Customer(), {
    id: '00000000-0000-4000-8000-000000000000',
    name: 'new',
    email: 'new@example.com',
    tier: 'standard',
  });
  await dataSource.manager.save(inserted);

  const updatedEvents = await eventsOf(updated!.id);
  expect(updatedEvents.map((e) => [e.type, e.data.tier])).toEqual([
    ['CustomerImported', 'standard'],
    ['CustomerUpdated', 'gold'],
  ]);
  expect(updatedEvents[0]!.xid).toBe(updatedEvents[1]!.xid);
  expect((await eventsOf(removed!.id)).map((e) => [e.type, e.data.name])).toEqual([
    ['CustomerImported', removed!.name],
    ['CustomerRemoved', removed!.name],
  ]);
  expect((await eventsOf(inserted.id)).map((e) => e.type)).toEqual(['CustomerInserted']);

  const result = await backfill(dataSource, { store, entity: mapping });
  // Three rows left (the removed one is gone): only the untouched one had no stream.
  expect(result).toMatchObject({ rowsSeen: 3, rowsImported: 1 });
  expect((await eventsOf(untouched!.id)).map((e) => e.type)).toEqual(['CustomerImported']);
  expect((await eventsOf(updated!.id)).map((e) => e.type)).toEqual(['CustomerImported', 'CustomerUpdated']);
  expect((await eventsOf(inserted.id)).map((e) => e.type)).toEqual(['CustomerInserted']);

  // After the import, a change is the change alone.
  const again = await dataSource.manager.findOneByOrFail(Customer, { id: untouched!.id });
  again.name = 'renamed';
  await dataSource.manager.save(again);
  expect((await eventsOf(untouched!.id)).map((e) => [e.type, e.data.name])).toEqual([
    ['CustomerImported', untouched!.name],
    ['CustomerUpdated', 'renamed'],
  ]);
  expect(await counts()).toMatchObject({ events: 7, outbox: 7 });
});

test("a mapping's toEvent maps the import too (kind 'import'), and one returning null leaves the row without a stream", async () => {
  await seed(4);
  const custom: SubscribedEntity<Customer> = {
    target: Customer,
    aggregateType: 'customer',
    toEvent: (change) =>
      change.kind === 'import' && change.entity.name !== 'seed-4'
        ? { type: 'CustomerOnboarded', schemaVersion: 2, data: { name: change.entity.name } }
        : null,
  };
  const result = await backfill(dataSource, { store, entity: custom, chunkSize: 3 });
  expect(result).toMatchObject({ rowsSeen: 4, rowsImported: 3, finished: true });
  const { rows } = await db.query<{ type: string; schema_version: number; data: unknown }>(
    "select event_type as type, schema_version, data from events order by data->>'name'",
  );
  expect(rows).toEqual([
    { type: 'CustomerOnboarded', schema_version: 2, data: { name: 'seed-1' } },
    { type: 'CustomerOnboarded', schema_version: 2, data: { name: 'seed-2' } },
    { type: 'CustomerOnboarded', schema_version: 2, data: { name: 'seed-3' } },
  ]);
});

test('an entity the data source does not know, or a bad chunk size, is refused with input.invalid before anything is written', async () => {
  await seed(1);
  await expect(
    backfill(dataSource, { store, entity: { target: 'Nope', aggregateType: 'nope' } }),
  ).rejects.toMatchObject({
    code: 'input.invalid',
    message: expect.stringContaining('Nope is not an entity'),
  });
  await expect(backfill(dataSource, { store, entity: mapping, chunkSize: 0 })).rejects.toMatchObject({
    code: 'input.invalid',
  });
  expect(await counts()).toEqual({ events: 0, outbox: 0, streams: 0 });
});

test.each(['table-transient', 'message'] as const)(
  'in outbox mode %s the imports leave no outbox rows and reach the WAL, one outbox record per row',
  async (outboxMode) => {
    await seed(300);
    const slot = `backfill_${outboxMode.replace('-', '_')}`;
    await db.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
    try {
      const modeStore = createEventStoreFor({ ...env.config, outboxMode }, pool);
      const result = await backfill(dataSource, { store: modeStore, entity: mapping, chunkSize: 128 });
      expect(result).toMatchObject({ rowsSeen: 300, rowsImported: 300, finished: true });
      expect(await rowsWithoutOneImport()).toEqual([]);
      expect(await counts()).toEqual({ events: 300, outbox: 0, streams: 300 });
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_logical_slot_peek_changes($1, null, null)
         where data like $2`,
        [
          slot,
          outboxMode === 'message'
            ? 'message: transactional: 1 prefix: tributary.outbox%'
            : 'table public.outbox: INSERT:%',
        ],
      );
      expect(rows[0]!.n).toBe(300);
    } finally {
      await db.query('select pg_drop_replication_slot($1)', [slot]);
    }
  },
);
