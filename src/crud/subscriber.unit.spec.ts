import { EntitySchema, getMetadataArgsStorage, type EntityMetadata, type ObjectLiteral } from 'typeorm';
import type { AppendInput } from '../eventstore/append';
import { TributaryError } from '../errors';
import type { EventStore } from '../eventstore/store';
import { Customer } from './example/customer.entity';
import { outboxSubscriber, outboxSubscriberClass, type OutboxSubscriberOptions } from './subscriber';

/**
 * The subscriber's mapping on fake TypeORM events: which events it handles, the stream and the event it
 * appends. That the append joins the real transaction is proven by subscriber.int.spec.ts.
 */

class Other {
  id!: string;
}
class GoldCustomer extends Customer {}

const column = (propertyPath: string) => ({
  propertyPath,
  getEntityValue: (entity: ObjectLiteral) => entity[propertyPath] as unknown,
});

const metadataOf = (target: unknown, name: string) =>
  ({
    target,
    name,
    columns: ['id', 'name', 'tier'].map(column),
    primaryColumns: [column('id')],
  }) as unknown as EntityMetadata;

/**
 * `streamVersion`: what the lock of the row's stream finds (null: no stream, a row not imported yet);
 * `conflictOnCreate`: a `no_stream` append fails as if the backfill had created the stream meanwhile.
 */
function setup(
  overrides: Partial<OutboxSubscriberOptions> = {},
  { streamVersion = 1 as number | null, conflictOnCreate = false } = {},
) {
  const appended: AppendInput[] = [];
  const store = {
    append: async (input: AppendInput) => {
      if (conflictOnCreate && input.expected === 'no_stream') {
        throw new TributaryError('store.conflict', `stream ${input.streamId} is at version 1`);
      }
      appended.push(input);
      return { streamId: input.streamId, nextVersion: 1, events: [] };
    },
  } as unknown as EventStore;
  const subscriber = outboxSubscriber({
    store,
    entities: [{ target: Customer, aggregateType: 'customer' }],
    ...overrides,
  });
  const records = streamVersion === null ? [] : [{ version: String(streamVersion) }];
  const manager = {
    queryRunner: { isReleased: false, isTransactionActive: true, query: async () => ({ records }) },
  };
  const base = (target: unknown = Customer, name = 'Customer') => ({
    manager,
    metadata: metadataOf(target, name),
  });
  return { appended, subscriber, base, manager };
}

const ada = { id: 'c1', name: 'Ada', tier: 'gold' };

test('a saved insert appends <Entity>Inserted with the columns to the stream of its row, expected any', async () => {
  const { appended, subscriber, base } = setup();
  await subscriber.afterInsert!({ ...base(), entity: ada, entityId: 'c1' } as never);
  expect(appended).toEqual([
    {
      streamId: 'customer-c1',
      streamType: 'customer',
      expected: 'any',
      events: [{ type: 'CustomerInserted', schemaVersion: 1, data: { id: 'c1', name: 'Ada', tier: 'gold' } }],
    },
  ]);
});

test('a saved update of a partial entity carries every column (the rest from the row as loaded) and the changed paths', async () => {
  const { appended, subscriber, base } = setup({
    entities: [
      {
        target: Customer,
        aggregateType: 'customer',
        toEvent: (change) => ({ type: 'CustomerChanged', schemaVersion: 2, data: change }),
      },
    ],
  });
  await subscriber.afterUpdate!({
    ...base(),
    entity: { id: 'c1', tier: 'gold' },
    databaseEntity: { id: 'c1', name: 'Ada', tier: 'standard' },
    updatedColumns: [column('tier')],
  } as never);
  expect(appended[0]!.events).toEqual([
    {
      type: 'CustomerChanged',
      schemaVersion: 2,
      data: {
        kind: 'update',
        id: 'c1',
        entity: { id: 'c1', tier: 'gold' },
        before: { id: 'c1', name: 'Ada', tier: 'standard' },
        changed: ['tier'],
        columns: { id: 'c1', name: 'Ada', tier: 'gold' },
      },
    },
  ]);
});

test('a remove takes the id and the columns from the row as loaded (TypeORM has cleared the entity id)', async () => {
  const { appended, subscriber, base } = setup();
  await subscriber.afterRemove!({
    ...base(),
    entity: { name: 'Ada' },
    databaseEntity: ada,
    entityId: 'c1',
  } as never);
  expect(appended.map((input) => [input.streamId, input.events[0]!.type, input.events[0]!.data])).toEqual([
    ['customer-c1', 'CustomerRemoved', ada],
  ]);
});

test('a change of a row whose stream does not exist yet appends its import (the row as loaded before) and the change, expected no_stream', async () => {
  const { appended, subscriber, base } = setup({}, { streamVersion: null });
  await subscriber.afterUpdate!({
    ...base(),
    entity: { id: 'c1', name: 'Ada', tier: 'gold' },
    databaseEntity: { id: 'c1', name: 'Ada', tier: 'standard' },
    updatedColumns: [column('tier')],
  } as never);
  expect(appended).toEqual([
    {
      streamId: 'customer-c1',
      streamType: 'customer',
      expected: 'no_stream',
      events: [
        { type: 'CustomerImported', schemaVersion: 1, data: { id: 'c1', name: 'Ada', tier: 'standard' } },
        { type: 'CustomerUpdated', schemaVersion: 1, data: { id: 'c1', name: 'Ada', tier: 'gold' } },
      ],
    },
  ]);
});

test('when the backfill created the stream meanwhile (the no_stream append conflicts), the change alone is appended', async () => {
  const { appended, subscriber, base } = setup({}, { streamVersion: null, conflictOnCreate: true });
  await subscriber.afterRemove!({ ...base(), entity: { name: 'Ada' }, databaseEntity: ada } as never);
  expect(appended.map((input) => [input.expected, input.events.map((event) => event.type)])).toEqual([
    ['any', ['CustomerRemoved']],
  ]);
});

test('a change of an imported row appends the change alone at the version its lock read', async () => {
  const { appended, subscriber, base } = setup({}, { streamVersion: 4 });
  await subscriber.afterUpdate!({ ...base(), entity: ada, databaseEntity: ada, updatedColumns: [] } as never);
  expect(appended.map((input) => [input.expected, input.events.map((event) => event.type)])).toEqual([
    [4, ['CustomerUpdated']],
  ]);
});

test('soft remove and recover append CustomerSoftRemoved and CustomerRecovered; a subclass entity counts as its base', async () => {
  const { appended, subscriber, base } = setup();
  await subscriber.afterSoftRemove!({ ...base(), entity: ada, databaseEntity: ada } as never);
  await subscriber.afterRecover!({
    ...base(GoldCustomer, 'GoldCustomer'),
    entity: ada,
    databaseEntity: ada,
  } as never);
  expect(appended.map((input) => input.events[0]!.type)).toEqual([
    'CustomerSoftRemoved',
    'GoldCustomerRecovered',
  ]);
});

test('criteria-based and QueryBuilder writes (no row id, no loaded row, no entity) and other entities append nothing', async () => {
  const { appended, subscriber, base } = setup();
  await subscriber.afterInsert!({ ...base(), entity: ada, entityId: undefined } as never); // insert(values)
  await subscriber.afterUpdate!({ ...base(), entity: { tier: 'gold' }, updatedColumns: [] } as never); // update(criteria)
  await subscriber.afterRemove!({ ...base(), entity: undefined, databaseEntity: undefined } as never); // delete(criteria)
  await subscriber.afterSoftRemove!({ ...base(), entity: undefined } as never); // softDelete(criteria)
  await subscriber.afterInsert!({ ...base(Other, 'Other'), entity: ada, entityId: 'c1' } as never);
  expect(appended).toEqual([]);
});

test('toEvent returning null, [] or undefined appends nothing; several events go to one append with the metadata', async () => {
  const { appended, subscriber, base } = setup({
    entities: [
      {
        target: Customer,
        aggregateType: 'customer',
        idOf: (customer: Customer) => customer.id.toUpperCase(),
        toEvent: (change) =>
          change.kind === 'insert'
            ? [
                { type: 'A', schemaVersion: 1, data: {} },
                { type: 'B', schemaVersion: 1, data: {} },
              ]
            : change.kind === 'update'
              ? null
              : change.kind === 'remove'
                ? []
                : (undefined as never), // a JavaScript mapping returning nothing
        metadata: (change) => ({ actor: `subscriber:${change.kind}` }),
      },
    ],
  });
  await subscriber.afterInsert!({ ...base(), entity: ada, entityId: 'c1' } as never);
  await subscriber.afterUpdate!({ ...base(), entity: ada, databaseEntity: ada, updatedColumns: [] } as never);
  await subscriber.afterRemove!({ ...base(), entity: ada, databaseEntity: ada } as never);
  expect(
    appended.map((input) => [input.streamId, input.events.map((event) => event.type), input.metadata]),
  ).toEqual([['customer-C1', ['A', 'B'], { actor: 'subscriber:insert' }]]);
});

test('outside a transaction the append fails with input.invalid (the event would commit apart from the row)', async () => {
  const { subscriber, base, manager } = setup();
  manager.queryRunner.isTransactionActive = false;
  await expect(
    subscriber.afterInsert!({ ...base(), entity: ada, entityId: 'c1' } as never),
  ).rejects.toMatchObject({
    code: 'input.invalid',
  });
});

test('a row without an id and an empty aggregateType are rejected with input.invalid', async () => {
  const { subscriber, base } = setup();
  await expect(
    subscriber.afterInsert!({ ...base(), entity: { name: 'x' }, entityId: {} } as never),
  ).rejects.toMatchObject({ code: 'input.invalid' });
  expect(() =>
    outboxSubscriber({ store: {} as EventStore, entities: [{ target: Customer, aggregateType: '' }] }),
  ).toThrow(expect.objectContaining({ code: 'input.invalid' }));
});

test('outboxSubscriberClass is a class TypeORM registers (@EventSubscriber) and instantiates with no arguments', async () => {
  const { appended, base } = setup();
  const store = {
    append: async (input: never) => (appended.push(input), { events: [] }),
  } as unknown as EventStore;
  const Subscriber = outboxSubscriberClass({
    store,
    entities: [{ target: Customer, aggregateType: 'customer' }],
  });
  expect(
    getMetadataArgsStorage()
      .filterSubscribers([Subscriber])
      .map((args) => args.target),
  ).toEqual([Subscriber]);
  await new Subscriber().afterInsert!({ ...base(), entity: ada, entityId: 'c1' } as never);
  expect(appended.map((input) => input.streamId)).toEqual(['customer-c1']);
});

test('an entity can be named by its EntitySchema or its name (entities without a class)', async () => {
  const schema = new EntitySchema<{ id: string }>({
    name: 'Account',
    columns: { id: { type: 'text', primary: true } },
  });
  const classed = new EntitySchema<Customer>({ name: 'Customer', target: Customer, columns: {} });
  const { appended, subscriber, base } = setup({
    entities: [
      { target: schema, aggregateType: 'account' },
      { target: 'Invoice', aggregateType: 'invoice' },
      { target: classed, aggregateType: 'customer' },
    ],
  });
  await subscriber.afterInsert!({ ...base('Account', 'Account'), entity: ada, entityId: 'c1' } as never);
  await subscriber.afterInsert!({ ...base('Invoice', 'Invoice'), entity: ada, entityId: 'c1' } as never);
  await subscriber.afterInsert!({
    ...base(GoldCustomer, 'GoldCustomer'),
    entity: ada,
    entityId: 'c1',
  } as never);
  await subscriber.afterInsert!({ ...base('Other', 'Other'), entity: ada, entityId: 'c1' } as never);
  expect(appended.map((input) => input.streamId)).toEqual(['account-c1', 'invoice-c1', 'customer-c1']);
});
