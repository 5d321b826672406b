import { randomUUID } from 'node:crypto';
import { Pool, type Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { isolate, Isolated } from '../../test/harness';
import { createEventStoreFor } from '../commands';
import { createDataSource, migrate } from '../db/data-source';
import { TributaryError } from '../errors';
import type { EventStore } from '../eventstore';
import { OUTBOX_MESSAGE_PREFIX } from '../outbox';
import { appendWithin } from './append-within';
import { Customer } from './example/customer.entity';
import { createCustomerService, customerStreamId } from './example/customer-service';
import { withSessionOptions } from '../db/pool';

/**
 * The CRUD adoption guarantee on the real PostgreSQL: an entity change and the events (with their outbox
 * entries) appended through the same TypeORM transaction commit together or not at all.
 */

let env: Isolated;
let pool: Pool;
let dataSource: DataSource;
let store: EventStore;
let db: Client;

beforeAll(async () => {
  env = await isolate(__filename);
  await migrate(env.config, [Customer]);
  pool = new Pool({ connectionString: withSessionOptions(env.config.databaseUrl), max: 4 });
  store = createEventStoreFor({ ...env.config, outboxMode: 'table' }, pool);
  dataSource = createDataSource(env.config, [Customer]);
  await dataSource.initialize();
  db = await env.pg();
});

afterAll(async () => {
  await dataSource?.destroy();
  await pool?.end();
  await env?.cleanup();
});

const newCustomer = (overrides: Partial<Customer> = {}) =>
  Object.assign(new Customer(), {
    id: randomUUID(),
    name: 'Ada',
    email: `${randomUUID()}@example.com`,
    tier: 'standard',
    ...overrides,
  });

const registered = (customer: Customer) => ({
  streamId: customerStreamId(customer.id),
  streamType: 'customer',
  events: [
    {
      type: 'CustomerRegistered',
      schemaVersion: 1,
      data: { customerId: customer.id, email: customer.email },
    },
  ],
});

async function rowsOf(streamId: string, customerId: string) {
  const customers = await db.query('select id from crud_customers where id = $1', [customerId]);
  const events = await db.query<{ event_id: string; transaction_id: string }>(
    'select event_id, transaction_id::text from events where stream_id = $1 order by stream_version',
    [streamId],
  );
  const outbox = await db.query<{ id: string; transaction_id: string }>(
    'select id, transaction_id::text from outbox where aggregate_id = $1 order by stream_version',
    [streamId],
  );
  const streams = await db.query('select version from streams where stream_id = $1', [streamId]);
  return { customers: customers.rows, events: events.rows, outbox: outbox.rows, streams: streams.rows };
}

const nothingFor = { customers: [], events: [], outbox: [], streams: [] };

/** The error a promise rejects with (fails when it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

test('a commit writes the entity row, the events and one outbox entry per event, all in one transaction', async () => {
  const customer = newCustomer();
  const other = `audit-${randomUUID()}`;
  const xid = await dataSource.transaction(async (manager) => {
    await manager.save(customer);
    const results = await appendWithin(manager, store, [
      {
        ...registered(customer),
        events: [
          ...registered(customer).events,
          { type: 'CustomerWelcomed', schemaVersion: 1, data: { customerId: customer.id } },
        ],
        expected: 'no_stream',
        metadata: { actor: 'crm' },
      },
      { streamId: other, streamType: 'audit', events: [{ type: 'Noted', schemaVersion: 1, data: {} }] },
    ]);
    expect(results.map((result) => [result.streamId, result.nextVersion])).toEqual([
      [customerStreamId(customer.id), 2],
      [other, 1],
    ]);
    const [current] = await manager.query<{ xid: string }[]>('select pg_current_xact_id()::text as xid');
    return current!.xid;
  });

  const rows = await rowsOf(customerStreamId(customer.id), customer.id);
  expect(rows.customers).toHaveLength(1);
  expect(rows.events).toHaveLength(2);
  expect(rows.outbox.map((entry) => entry.id)).toEqual(rows.events.map((event) => event.event_id));
  expect(new Set([...rows.events, ...rows.outbox].map((row) => row.transaction_id))).toEqual(new Set([xid]));
  // The entity row's xmin is the 32-bit form of the same transaction id.
  const { rows: entity } = await db.query<{ xmin: string }>(
    'select xmin::text from crud_customers where id = $1',
    [customer.id],
  );
  expect(BigInt(entity[0]!.xmin)).toBe(BigInt(xid) % 2n ** 32n);
  const audit = await rowsOf(other, randomUUID());
  expect(audit.outbox.map((row) => row.transaction_id)).toEqual([xid]);
});

test('a rollback after the entity save and the append leaves neither the entity change nor any event or outbox entry', async () => {
  const customer = newCustomer();
  const failure = await failureOf(
    dataSource.transaction(async (manager) => {
      await manager.save(customer);
      await appendWithin(manager, store, registered(customer));
      throw new Error('the app fails after both writes');
    }),
  );
  expect(failure).toEqual(new Error('the app fails after both writes'));
  expect(await rowsOf(customerStreamId(customer.id), customer.id)).toEqual(nothingFor);
});

test('an entity constraint failure (duplicate email) after the append rolls back the events too', async () => {
  const first = newCustomer();
  await dataSource.manager.save(first);
  const duplicate = newCustomer({ email: first.email });

  const failure = await failureOf(
    dataSource.transaction(async (manager) => {
      await appendWithin(manager, store, registered(duplicate));
      await manager.insert(Customer, duplicate);
    }),
  );
  expect(failure).toMatchObject({ code: '23505', constraint: 'crud_customers_email_key' });
  expect(await rowsOf(customerStreamId(duplicate.id), duplicate.id)).toEqual(nothingFor);
});

test('a stream conflict fails with store.conflict and rolls back the entity change', async () => {
  const customer = newCustomer();
  await store.append({ ...registered(customer), expected: 'no_stream' });

  const failure = await failureOf(
    dataSource.transaction(async (manager) => {
      await manager.save(customer);
      await appendWithin(manager, store, { ...registered(customer), expected: 'no_stream' });
    }),
  );
  expect(failure).toBeInstanceOf(TributaryError);
  expect(failure).toMatchObject({ code: 'store.conflict' });
  const rows = await rowsOf(customerStreamId(customer.id), customer.id);
  expect(rows.customers).toEqual([]);
  expect(rows.events).toHaveLength(1);
});

describe('outside a transaction appendWithin fails with input.invalid and writes nothing', () => {
  const managers: [string, () => Promise<{ manager: EntityManager; done(): Promise<void> }>][] = [
    ['the data source manager', async () => ({ manager: dataSource.manager, done: async () => undefined })],
    [
      'a query runner whose transaction was never started',
      async () => {
        const runner = dataSource.createQueryRunner();
        return { manager: runner.manager, done: () => runner.release() };
      },
    ],
    [
      'a transaction manager used after its commit',
      async () => ({
        manager: await dataSource.transaction(async (manager) => manager),
        done: async () => undefined,
      }),
    ],
  ];

  test.each(managers)('%s', async (_name, managerOf) => {
    const customer = newCustomer();
    const { manager, done } = await managerOf();
    try {
      const failure = await failureOf(appendWithin(manager, store, registered(customer)));
      expect(failure).toBeInstanceOf(TributaryError);
      expect(failure).toMatchObject({ code: 'input.invalid', message: expect.stringMatching(/transaction/) });
    } finally {
      await done();
    }
    expect(await rowsOf(customerStreamId(customer.id), customer.id)).toEqual(nothingFor);
  });
});

describe('the example customer service', () => {
  const service = () => createCustomerService(dataSource, store);

  test('registering and changing the tier commit each row change with its event', async () => {
    const { customer, append } = await service().register({ name: 'Grace', email: `${randomUUID()}@x.io` });
    expect(append.nextVersion).toBe(1);
    const changed = await service().changeTier(customer.id, 'gold');
    expect(changed.append.nextVersion).toBe(2);

    const events = await store.readStream(customerStreamId(customer.id));
    expect(events.map((event) => [event.type, event.data])).toEqual([
      [
        'CustomerRegistered',
        { customerId: customer.id, name: 'Grace', email: customer.email, tier: 'standard' },
      ],
      ['CustomerTierChanged', { customerId: customer.id, from: 'standard', to: 'gold' }],
    ]);
    const { rows } = await db.query('select tier from crud_customers where id = $1', [customer.id]);
    expect(rows).toEqual([{ tier: 'gold' }]);
    expect((await rowsOf(customerStreamId(customer.id), customer.id)).outbox).toHaveLength(2);
  });

  test('changing the tier of an unknown customer fails with store.not_found and appends nothing', async () => {
    const id = randomUUID();
    await expect(service().changeTier(id, 'gold')).rejects.toMatchObject({ code: 'store.not_found' });
    expect(await rowsOf(customerStreamId(id), id)).toEqual(nothingFor);
  });
});

describe("in OUTBOX_MODE 'message'", () => {
  const slot = () => `${env.name}_msg`;
  let messageStore: EventStore;

  beforeAll(async () => {
    messageStore = createEventStoreFor({ ...env.config, outboxMode: 'message' }, pool);
    // test_decoding shows what logical decoding (and so the relay) receives: committed messages only.
    await db.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [slot()]);
  });

  afterAll(async () => {
    // Cleanup: a test that failed before the slot existed leaves none to drop.
    await db.query('select pg_drop_replication_slot($1)', [slot()]).catch(() => undefined);
  });

  async function decodedMessages(): Promise<string[]> {
    const { rows } = await db.query<{ data: string }>(
      `select data from pg_logical_slot_peek_changes($1, null, null) where data like 'message:%'`,
      [slot()],
    );
    return rows.map((row) => row.data);
  }

  test('the events commit with the entity row, as transactional messages and no outbox rows; a rollback emits none', async () => {
    const kept = newCustomer();
    const dropped = newCustomer();
    const [result] = await dataSource.transaction(async (manager) => {
      await manager.save(kept);
      return appendWithin(manager, messageStore, [registered(kept)]);
    });
    await failureOf(
      dataSource.transaction(async (manager) => {
        await manager.save(dropped);
        await appendWithin(manager, messageStore, registered(dropped));
        throw new Error('rolled back');
      }),
    );

    const rows = await rowsOf(customerStreamId(kept.id), kept.id);
    expect(rows.customers).toHaveLength(1);
    expect(rows.events.map((event) => event.event_id)).toEqual([result!.events[0]!.eventId]);
    expect(rows.outbox).toEqual([]);
    expect(await rowsOf(customerStreamId(dropped.id), dropped.id)).toEqual(nothingFor);

    const messages = await decodedMessages();
    const about = (id: string) => messages.filter((message) => message.includes(id));
    expect(about(result!.events[0]!.eventId)).toEqual([
      expect.stringMatching(new RegExp(`^message: transactional: 1 prefix: ${OUTBOX_MESSAGE_PREFIX}, `)),
    ]);
    expect(about(customerStreamId(dropped.id))).toEqual([]);
  });
});

test("in OUTBOX_MODE 'table-transient' the events commit and the outbox rows are deleted in the same transaction", async () => {
  const transient = createEventStoreFor({ ...env.config, outboxMode: 'table-transient' }, pool);
  const customer = newCustomer();
  await dataSource.transaction(async (manager) => {
    await manager.save(customer);
    await appendWithin(manager, transient, registered(customer));
  });
  const rows = await rowsOf(customerStreamId(customer.id), customer.id);
  expect(rows.customers).toHaveLength(1);
  expect(rows.events).toHaveLength(1);
  expect(rows.outbox).toEqual([]);
});
