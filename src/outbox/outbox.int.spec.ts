import type { Client } from 'pg';
import { appendInput, errorCodeOf } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import {
  createDecodingSlot,
  DecodedChange,
  dropSlot,
  eventInserts,
  outboxInserts,
  outboxMessages,
  peekChanges,
  slotName,
  xid32,
} from '../../test/fixtures/wal';
import { pgExecutor } from '../db/executor';
import type { EventStore } from '../eventstore';
import type { OutboxMode } from './types';

/**
 * The transactional outbox, observed where the relay reads it: the WAL. A test_decoding slot created before
 * the writes shows every committed transaction's changes with its transaction id, and never a rolled-back
 * transaction's.
 */
describe('the transactional outbox', () => {
  let fx: StoreFixture;
  let pg: Client;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename);
    pg = await fx.env.pg();
  });
  afterAll(() => fx.close());

  interface StoredEventRow {
    event_id: string;
    transaction_id: string;
    stream_id: string;
    stream_version: string;
  }

  const eventsOf = async (streamPrefix: string) =>
    (
      await fx.pool.query<StoredEventRow>(
        `select event_id, transaction_id::text, stream_id, stream_version from events
         where stream_id like $1 || '%' order by global_position`,
        [streamPrefix],
      )
    ).rows;

  /**
   * Commits events in three shapes (one multi-event append, appendMany over two streams, an append joining a
   * caller's transaction), and fails three transactions after their events were inserted: a throw after the
   * append inside store.transaction, a conflict on the second stream of appendMany, a rollback of a caller's
   * transaction. Returns the event ids of the failed attempts.
   */
  async function writeCommittedAndRolledBack(store: EventStore, prefix: string): Promise<string[]> {
    await store.append(appendInput(`${prefix}a`, 'no_stream', 3));
    await store.appendMany([appendInput(`${prefix}b`, 'no_stream', 2), appendInput(`${prefix}c`, 'any', 1)]);
    await store.transaction(async (executor) => {
      await store.append(appendInput(`${prefix}a`, 3, 1), { executor });
      await executor.query('select 1'); // the caller's own work in the same transaction
    });

    const rolledBack: string[] = [];
    const thrownAfterInsert = appendInput(`${prefix}d`, 'no_stream', 2);
    rolledBack.push(...thrownAfterInsert.events.map((event) => event.eventId!));
    await expect(
      store.transaction(async (executor) => {
        const result = await store.append(thrownAfterInsert, { executor });
        expect(result.events).toHaveLength(2); // the insert happened; the commit does not
        throw new Error('the caller fails after the events were inserted');
      }),
    ).rejects.toThrow('the caller fails after the events were inserted');

    const conflictOnSecond = [appendInput(`${prefix}e`, 'no_stream', 1), appendInput(`${prefix}b`, 0, 1)];
    rolledBack.push(...conflictOnSecond.flatMap((input) => input.events.map((event) => event.eventId!)));
    expect(await errorCodeOf(store.appendMany(conflictOnSecond))).toBe('store.conflict');

    const client = await fx.pool.connect();
    try {
      await client.query('begin');
      const joined = appendInput(`${prefix}f`, 'no_stream', 1);
      rolledBack.push(...joined.events.map((event) => event.eventId!));
      await store.append(joined, { executor: pgExecutor(client) });
      await client.query('rollback');
    } finally {
      client.release();
    }

    // One more commit after the failures, so the decoded WAL certainly covers them.
    await store.append(appendInput(`${prefix}g`, 'no_stream', 1));
    return rolledBack;
  }

  /** Per committed event: the transaction that inserted it, as the WAL says (32-bit xid). */
  function eventTransactions(changes: DecodedChange[]): Map<string, string> {
    return new Map(eventInserts(changes).map((insert) => [insert.id, insert.xid]));
  }

  const modes: OutboxMode[] = ['table', 'table-transient', 'message'];

  describe.each(modes)("in mode '%s'", (mode) => {
    const prefix = `${mode}:`;

    it('gives every committed event exactly one outbox entry from the same transaction, and a rolled-back transaction neither events nor entries', async () => {
      const store = fx.storeWith({ OUTBOX_MODE: mode });
      expect(store.outboxMode).toBe(mode);
      const slot = slotName(fx.env.name, mode);
      await createDecodingSlot(pg, slot);
      try {
        const rolledBack = await writeCommittedAndRolledBack(store, prefix);

        const events = await eventsOf(prefix);
        const committedIds = events.map((event) => event.event_id);
        expect(committedIds).toHaveLength(8); // 3 + 2 + 1 + 1 + 1
        expect(committedIds).toEqual(expect.not.arrayContaining(rolledBack));

        const changes = await peekChanges(pg, slot);
        const walEvents = eventTransactions(changes);
        // The slot saw exactly the committed events (test_decoding shows committed transactions only).
        expect([...walEvents.keys()].sort()).toEqual([...committedIds].sort());
        for (const event of events) expect(walEvents.get(event.event_id)).toBe(xid32(event.transaction_id));

        const inserts = outboxInserts(changes);
        const messages = outboxMessages(changes);
        const table = await fx.pool.query<{
          id: string;
          transaction_id: string;
          aggregate_id: string;
          stream_version: string;
        }>(
          `select id, transaction_id::text, aggregate_id, stream_version from outbox
           where aggregate_id like $1 || '%'`,
          [prefix],
        );

        if (mode === 'message') {
          expect(inserts).toEqual([]);
          expect(table.rows).toEqual([]);
          expect(messages.map((message) => message.entry.id).sort()).toEqual([...committedIds].sort());
          for (const message of messages) {
            expect(message.transactional).toBe(true);
            expect(message.xid).toBe(walEvents.get(message.entry.id));
          }
          for (const event of events) {
            const entry = messages.find((message) => message.entry.id === event.event_id)!.entry;
            expect(entry).toMatchObject({
              aggregateId: event.stream_id,
              streamVersion: Number(event.stream_version),
            });
          }
        } else {
          expect(messages).toEqual([]);
          // The WAL carried one insert per committed event, in the event's transaction, with its xid8.
          expect(inserts.map((insert) => insert.id).sort()).toEqual([...committedIds].sort());
          for (const event of events) {
            const insert = inserts.find((candidate) => candidate.id === event.event_id)!;
            expect(insert.xid).toBe(walEvents.get(event.event_id));
            expect(insert.transactionId).toBe(event.transaction_id);
          }
          if (mode === 'table') {
            expect(table.rows.map((row) => row.id).sort()).toEqual([...committedIds].sort());
            for (const event of events) {
              expect(table.rows.find((row) => row.id === event.event_id)).toEqual({
                id: event.event_id,
                transaction_id: event.transaction_id,
                aggregate_id: event.stream_id,
                stream_version: event.stream_version,
              });
            }
          } else {
            // table-transient: the rows are gone after commit; only the WAL kept the inserts.
            expect(table.rows).toEqual([]);
          }
        }

        // Nothing of the rolled-back transactions reached the WAL decoding, in any form.
        const decoded = changes.map((change) => change.data).join('\n');
        for (const id of rolledBack) expect(decoded).not.toContain(id);
        expect(decoded).not.toContain(`${prefix}d`);
        expect(decoded).not.toContain(`${prefix}e`);
        expect(decoded).not.toContain(`${prefix}f`);
      } finally {
        await dropSlot(pg, slot);
      }
    });
  });

  it('a rolled-back transaction leaves neither events nor outbox rows nor a stream row', async () => {
    const store = fx.storeWith({ OUTBOX_MODE: 'table' });
    const input = appendInput('rb-only', 'no_stream', 2);

    await expect(
      store.transaction(async (executor) => {
        await store.append(input, { executor });
        const inside = await executor.query('select count(*)::int as n from outbox where aggregate_id = $1', [
          'rb-only',
        ]);
        expect(inside).toEqual([{ n: 2 }]); // written inside the transaction...
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');

    // ...and gone with it.
    const counts = await fx.pool.query<{ events: number; outbox: number; streams: number }>(
      `select (select count(*)::int from events where stream_id = 'rb-only') as events,
              (select count(*)::int from outbox where aggregate_id = 'rb-only') as outbox,
              (select count(*)::int from streams where stream_id = 'rb-only') as streams`,
    );
    expect(counts.rows[0]).toEqual({ events: 0, outbox: 0, streams: 0 });
  });
});
