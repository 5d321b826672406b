import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { seedCustomers } from '../../test/fixtures/backfill';
import type { EventStore } from '../eventstore';
import { backfill } from './backfill';
import { CUSTOMER_EVENTS, openSubscriberFixture, type SubscriberFixture } from '../../test/fixtures/crud';
import { Customer } from './example/customer.entity';

/**
 * The backfill while the app keeps writing through the subscriber: writers update, remove and insert rows
 * (each writer its own rows, so the app itself has no lost updates to blur the check) before, during and after
 * the backfill. In the end every row that existed before has exactly one CustomerImported, first in its
 * stream, carrying its state from before any change; every row inserted meanwhile starts with CustomerInserted
 * and has no import; and the last event of every stream is the row as it is (or its removal). docs/backfill.md.
 */

const SEEDED = 5_000;
const WRITERS = 4;
const mapping = CUSTOMER_EVENTS;
let fx: SubscriberFixture;
let dataSource: DataSource;
let store: EventStore;
let db: Client;

beforeAll(async () => {
  fx = await openSubscriberFixture(__filename, { connections: WRITERS + 2 });
  ({ store, dataSource, db } = fx);
});

afterAll(() => fx?.close());

/** One writer: changes its own rows at random (update 80%, remove 10%, insert 10%) until `stop()` says so. */
async function writer(ids: string[], inserted: Set<string>, stop: () => boolean): Promise<number> {
  let changes = 0;
  for (let n = 0; !stop() && ids.length > 0; n++) {
    const at = Math.floor(Math.random() * ids.length);
    const roll = Math.random();
    await dataSource.transaction(async (manager) => {
      if (roll < 0.1) {
        const customer = Object.assign(new Customer(), {
          id: randomUUID(),
          name: `new-${n}`,
          email: `${randomUUID()}@example.com`,
          tier: 'standard',
        });
        await manager.save(customer);
        ids.push(customer.id);
        inserted.add(customer.id);
      } else if (roll < 0.2) {
        await manager.remove(await manager.findOneByOrFail(Customer, { id: ids[at]! }));
        ids.splice(at, 1);
      } else {
        const customer = await manager.findOneByOrFail(Customer, { id: ids[at]! });
        customer.name = `changed-${n}`;
        customer.tier = customer.tier === 'gold' ? 'standard' : 'gold';
        await manager.save(customer);
      }
    });
    changes++;
  }
  return changes;
}

interface StreamEvent {
  stream_id: string;
  version: number;
  type: string;
  name: string;
  tier: string;
  xid: string;
}

test('while writers update, remove and insert rows, the backfill misses no row and imports none twice', async () => {
  await seedCustomers(db, SEEDED);
  const seeded = new Map(
    (await db.query<{ id: string; name: string }>('select id, name from crud_customers')).rows.map((row) => [
      row.id,
      row.name,
    ]),
  );
  const partitions = Array.from({ length: WRITERS }, (_, k) =>
    [...seeded.keys()].filter((_, i) => i % WRITERS === k),
  );
  const inserted = new Set<string>();
  let done = false;
  let changesAfter = 0;
  const writers = partitions.map((ids) => writer(ids, inserted, () => done && changesAfter++ > 200));
  // Some changes before the backfill starts, then the backfill in small chunks among the writers.
  while ((await db.query('select count(*)::int as n from events')).rows[0].n < 100)
    await new Promise((r) => setTimeout(r, 20));
  const result = await backfill(dataSource, {
    store,
    entity: mapping,
    chunkSize: 100,
  });
  done = true;
  const changes = (await Promise.all(writers)).reduce((a, b) => a + b, 0);
  expect(result.finished).toBe(true);
  expect(changes).toBeGreaterThan(300);

  const { rows: events } = await db.query<StreamEvent>(
    `select stream_id, stream_version::int as version, event_type as type, data->>'name' as name,
            data->>'tier' as tier, transaction_id::text as xid
     from events order by stream_id, stream_version`,
  );
  const streams = new Map<string, StreamEvent[]>();
  for (const event of events) streams.set(event.stream_id, [...(streams.get(event.stream_id) ?? []), event]);
  const rows = new Map(
    (
      await db.query<{ id: string; name: string; tier: string }>('select id, name, tier from crud_customers')
    ).rows.map((row) => [row.id, row]),
  );

  // Every row there was before: one import, first, with the state it had before any change.
  for (const [id, name] of seeded) {
    const stream = streams.get(`customer-${id}`) ?? [];
    expect(stream.filter((e) => e.type === 'CustomerImported' || e.type === 'CustomerInserted')).toHaveLength(
      1,
    );
    expect([stream[0]?.type, stream[0]?.name, stream[0]?.tier]).toEqual([
      'CustomerImported',
      name,
      'standard',
    ]);
  }
  // Every row inserted meanwhile: created by the subscriber, never imported.
  for (const id of inserted) {
    const stream = streams.get(`customer-${id}`) ?? [];
    expect(stream[0]?.type).toBe('CustomerInserted');
    expect(stream.filter((e) => e.type === 'CustomerImported')).toEqual([]);
  }
  // The last event of each stream is the row as it is, or its removal.
  for (const [streamId, stream] of streams) {
    const row = rows.get(streamId.slice('customer-'.length));
    const last = stream[stream.length - 1]!;
    expect(row ? [last.name, last.tier] : last.type).toEqual(row ? [row.name, row.tier] : 'CustomerRemoved');
  }
  expect(streams.size).toBe(seeded.size + inserted.size);
  expect(await db.query('select count(*)::int as n from outbox')).toMatchObject({
    rows: [{ n: events.length }],
  });

  // Both sides of the race happened: rows the subscriber imported (import and change in one transaction), and
  // rows the backfill imported (in a chunk) that changed afterwards.
  const importedBySubscriber = [...streams.values()].filter(
    (s) => s[0]!.type === 'CustomerImported' && s[1]?.xid === s[0]!.xid,
  );
  const changedAfterBackfill = [...streams.values()].filter(
    (s) => s[0]!.type === 'CustomerImported' && s[1] && s[1].xid !== s[0]!.xid,
  );
  expect(importedBySubscriber.length).toBeGreaterThan(0);
  expect(changedAfterBackfill.length).toBeGreaterThan(0);
}, 180_000);
