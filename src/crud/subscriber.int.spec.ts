import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openSubscriberFixture, type SubscriberFixture } from '../../test/fixtures/crud';
import { Customer } from './example/customer.entity';

/**
 * The entity subscriber on the real PostgreSQL: each `save`/`remove` of a subscribed entity writes exactly one
 * event and one outbox entry in the transaction of the row change; a rollback leaves neither; criteria-based
 * `update`/`delete` write no event (the limitation docs/crud-adoption.md states).
 */

let fx: SubscriberFixture;
let dataSource: DataSource;
let db: Client;

beforeAll(async () => {
  fx = await openSubscriberFixture(__filename);
  ({ dataSource, db } = fx);
});

afterAll(() => fx?.close());

const newCustomer = () =>
  Object.assign(new Customer(), {
    id: randomUUID(),
    name: 'Ada',
    email: `${randomUUID()}@example.com`,
    tier: 'standard',
  });

async function rowsOf(id: string) {
  const streamId = `customer-${id}`;
  const customers = await db.query<{ tier: string; xmin: string }>(
    'select tier, xmin::text from crud_customers where id = $1',
    [id],
  );
  const events = await db.query<{
    event_id: string;
    type: string;
    data: Record<string, unknown>;
    xid: string;
  }>(
    'select event_id, event_type as type, data, transaction_id::text as xid from events where stream_id = $1 order by stream_version',
    [streamId],
  );
  const outbox = await db.query<{ id: string; xid: string }>(
    'select id, transaction_id::text as xid from outbox where aggregate_id = $1 order by stream_version',
    [streamId],
  );
  return { customers: customers.rows, events: events.rows, outbox: outbox.rows };
}

/** The current transaction's id, read inside it. */
async function xidOf(manager: DataSource['manager']): Promise<string> {
  const [current] = await manager.query<{ xid: string }[]>('select pg_current_xact_id()::text as xid');
  return current!.xid;
}

test('insert, update and remove through save/remove each write one event and one outbox entry in their own transaction', async () => {
  const customer = newCustomer();
  const inserted = await dataSource.transaction(async (manager) => {
    await manager.save(customer);
    return xidOf(manager);
  });
  let rows = await rowsOf(customer.id);
  expect(rows.events.map((event) => [event.type, event.data.tier, event.xid])).toEqual([
    ['CustomerInserted', 'standard', inserted],
  ]);
  expect(rows.outbox).toEqual([{ id: rows.events[0]!.event_id, xid: inserted }]);
  expect(BigInt(rows.customers[0]!.xmin)).toBe(BigInt(inserted) % 2n ** 32n);

  const updated = await dataSource.transaction(async (manager) => {
    const loaded = await manager.findOneByOrFail(Customer, { id: customer.id });
    loaded.tier = 'gold';
    await manager.save(loaded);
    return xidOf(manager);
  });
  rows = await rowsOf(customer.id);
  expect(rows.events.map((event) => [event.type, event.data.tier, event.xid])).toEqual([
    ['CustomerInserted', 'standard', inserted],
    ['CustomerUpdated', 'gold', updated],
  ]);
  expect(rows.outbox.map((entry) => [entry.id, entry.xid])).toEqual(
    rows.events.map((event) => [event.event_id, event.xid]),
  );

  const removed = await dataSource.transaction(async (manager) => {
    await manager.remove(await manager.findOneByOrFail(Customer, { id: customer.id }));
    return xidOf(manager);
  });
  rows = await rowsOf(customer.id);
  expect(rows.customers).toEqual([]);
  expect(rows.events.map((event) => [event.type, event.xid])).toEqual([
    ['CustomerInserted', inserted],
    ['CustomerUpdated', updated],
    ['CustomerRemoved', removed],
  ]);
  expect(rows.events[2]!.data).toMatchObject({ id: customer.id, email: customer.email, tier: 'gold' });
  expect(rows.outbox.map((entry) => entry.xid)).toEqual([inserted, updated, removed]);
});

test("a repository save outside an explicit transaction is covered too (TypeORM's own transaction)", async () => {
  const customer = newCustomer();
  await dataSource.getRepository(Customer).save(customer);
  const rows = await rowsOf(customer.id);
  expect(rows.customers).toHaveLength(1);
  expect(rows.events.map((event) => event.type)).toEqual(['CustomerInserted']);
  expect(rows.outbox).toHaveLength(1);
  expect(rows.outbox[0]!.xid).toBe(rows.events[0]!.xid);
  expect(BigInt(rows.customers[0]!.xmin)).toBe(BigInt(rows.events[0]!.xid) % 2n ** 32n);
});

test('a transaction that throws after the save leaves neither the row nor the event nor an outbox entry', async () => {
  const customer = newCustomer();
  await expect(
    dataSource.transaction(async (manager) => {
      await manager.save(customer);
      // The subscriber did append, in this transaction; the other connection sees nothing before the commit.
      const [inside] = await manager.query<{ n: number }[]>(
        'select count(*)::int as n from events where stream_id = $1',
        [`customer-${customer.id}`],
      );
      expect(inside!.n).toBe(1);
      expect((await rowsOf(customer.id)).events).toEqual([]);
      throw new Error('the app fails after the save');
    }),
  ).rejects.toThrow('the app fails after the save');
  expect(await rowsOf(customer.id)).toEqual({ customers: [], events: [], outbox: [] });
});

test('criteria-based insert, update and delete change the row but write no event (the documented limitation)', async () => {
  const inserted = newCustomer();
  await dataSource.transaction((manager) => manager.insert(Customer, { ...inserted }));
  expect((await rowsOf(inserted.id)).customers).toHaveLength(1);
  expect((await rowsOf(inserted.id)).events).toEqual([]);

  const customer = newCustomer();
  await dataSource.manager.save(customer);
  await dataSource.transaction(async (manager) => {
    await manager.update(Customer, { id: customer.id }, { tier: 'gold' });
  });
  let rows = await rowsOf(customer.id);
  expect(rows.customers.map((row) => row.tier)).toEqual(['gold']);
  expect(rows.events.map((event) => event.type)).toEqual(['CustomerInserted']);
  expect(rows.outbox).toHaveLength(1);

  await dataSource.transaction(async (manager) => {
    await manager.delete(Customer, { id: customer.id });
  });
  rows = await rowsOf(customer.id);
  expect(rows.customers).toEqual([]);
  expect(rows.events.map((event) => event.type)).toEqual(['CustomerInserted']);
  expect(rows.outbox).toHaveLength(1);
});

test("a save with TypeORM's transaction turned off, outside a transaction, fails with input.invalid after its row was written", async () => {
  const customer = newCustomer();
  await expect(dataSource.manager.save(customer, { transaction: false })).rejects.toMatchObject({
    code: 'input.invalid',
  });
  const rows = await rowsOf(customer.id);
  expect(rows.customers).toHaveLength(1);
  expect(rows.events).toEqual([]);
});
