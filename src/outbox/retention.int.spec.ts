import type { Client } from 'pg';
import { appendInput, errorCodeOf } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import { createDecodingSlot, dropSlot, slotName } from '../../test/fixtures/wal';
import { pgExecutor } from '../db/executor';
import { TributaryError } from '../errors';
import { pruneOutbox } from './retention';

/**
 * Outbox retention against a real replication slot: the slot stands in for the relay, and advancing it
 * (pg_replication_slot_advance) is the relay acknowledging what Kafka has. A row may go only once the slot
 * has confirmed past a mark in whose snapshot the row's transaction is visible.
 */
describe('outbox retention', () => {
  let fx: StoreFixture;
  let pg: Client;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { settings: { OUTBOX_MODE: 'table' } });
    pg = await fx.env.pg();
  });
  afterAll(() => fx.close());

  beforeEach(async () => {
    await fx.pool.query('truncate outbox, outbox_retention_marks');
  });

  const prune = (slot: string, minAgeMs = 0) =>
    pruneOutbox(pgExecutor(fx.pool), { slotName: slot, minAgeMs });

  const outboxIds = async () =>
    new Set((await fx.pool.query<{ id: string }>('select id from outbox')).rows.map((row) => row.id));

  const idsOf = (result: { events: { eventId: string }[] }) => result.events.map((event) => event.eventId);

  /** The relay acknowledging everything up to `lsn` (default: the current WAL position). */
  async function confirm(slot: string, lsn?: string): Promise<string> {
    await pg.query('select pg_replication_slot_advance($1, coalesce($2::pg_lsn, pg_current_wal_lsn()))', [
      slot,
      lsn ?? null,
    ]);
    const { rows } = await pg.query<{ lsn: string }>(
      'select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1',
      [slot],
    );
    return rows[0]!.lsn;
  }

  async function withSlot(label: string, work: (slot: string) => Promise<void>): Promise<void> {
    const slot = slotName(fx.env.name, label);
    await createDecodingSlot(pg, slot);
    try {
      await work(slot);
    } finally {
      await dropSlot(pg, slot);
    }
  }

  it('never deletes an entry before the slot has confirmed past a mark that shows it committed', async () => {
    await withSlot('confirmed', async (slot) => {
      const first = idsOf(await fx.store.append(appendInput('r-1', 'no_stream', 3)));

      // No mark yet: nothing can be proven published.
      expect((await prune(slot)).deleted).toBe(0);
      // A mark now exists, but the slot has confirmed nothing since: still nothing.
      expect((await prune(slot)).deleted).toBe(0);
      expect(await outboxIds()).toEqual(new Set(first));

      await confirm(slot);
      const later = idsOf(await fx.store.append(appendInput('r-2', 'no_stream', 2)));

      // Published, but younger than the minimum age: kept.
      expect((await prune(slot, 3_600_000)).deleted).toBe(0);
      expect(await outboxIds()).toEqual(new Set([...first, ...later]));

      // Published and old enough: deleted; the entries committed after the confirmed position stay.
      const result = await prune(slot, 0);
      expect(result.deleted).toBe(3);
      expect(await outboxIds()).toEqual(new Set(later));

      // The events themselves are never touched by retention.
      const events = await fx.pool.query("select 1 from events where stream_id in ('r-1', 'r-2')");
      expect(events.rowCount).toBe(5);
    });
  });

  it('keeps a row whose transaction was still open when the mark was taken, even after the slot confirms that mark; a later mark deletes it once confirmed', async () => {
    await withSlot('open_tx', async (slot) => {
      const slow = await fx.env.pg();
      await slow.query('begin');
      const slowIds = idsOf(
        await fx.store.append(appendInput('r-slow', 'no_stream', 1), { executor: pgExecutor(slow) }),
      );
      await fx.store.append(appendInput('r-fast', 'no_stream', 2));

      // The mark is taken while the slow transaction is open...
      expect((await prune(slot)).deleted).toBe(0);
      const { rows: marks } = await fx.pool.query<{ lsn: string }>(
        'select wal_lsn::text as lsn from outbox_retention_marks order by id desc limit 1',
      );
      const markLsn = marks[0]!.lsn;
      // ...and it commits after the mark, so its commit record lies beyond the mark's position.
      await slow.query('commit');
      const { rows: after } = await pg.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');

      // The relay confirms exactly up to the mark: the fast rows are published, the slow one is not.
      const confirmed = await confirm(slot, markLsn);
      const { rows: order } = await pg.query<{ passed: boolean; unconfirmed: boolean }>(
        'select $1::pg_lsn >= $2::pg_lsn as passed, $1::pg_lsn < $3::pg_lsn as unconfirmed',
        [confirmed, markLsn, after[0]!.lsn],
      );
      expect(order[0]).toEqual({ passed: true, unconfirmed: true });

      const second = await prune(slot);
      expect(second.deleted).toBe(2);
      expect(await outboxIds()).toEqual(new Set(slowIds));

      // Confirming further does not help the old mark: the slow row waits for a mark that saw it committed.
      await confirm(slot);
      const third = await prune(slot); // uses the mark of the second run, taken after the slow commit
      expect(third.deleted).toBe(1);
      expect(await outboxIds()).toEqual(new Set());
    });
  });

  it('keeps a row whose transaction was open at the only passed mark even when the slot has confirmed its commit, until a later mark covers it', async () => {
    await withSlot('open_tx_past', async (slot) => {
      const slow = await fx.env.pg();
      await slow.query('begin');
      const slowIds = idsOf(
        await fx.store.append(appendInput('r-slow-2', 'no_stream', 1), { executor: pgExecutor(slow) }),
      );
      await prune(slot); // takes the mark while the slow transaction is open
      await slow.query('commit');

      await confirm(slot); // past the mark and past the slow commit
      expect((await prune(slot)).deleted).toBe(0); // the only passed mark does not show the slow row
      expect(await outboxIds()).toEqual(new Set(slowIds));

      await confirm(slot);
      expect((await prune(slot)).deleted).toBe(1);
      expect(await outboxIds()).toEqual(new Set());
    });
  });

  it('refuses with input.invalid and deletes nothing when the slot does not exist', async () => {
    await withSlot('present', async (slot) => {
      const ids = idsOf(await fx.store.append(appendInput('r-missing', 'no_stream', 2)));
      await prune(slot);
      await confirm(slot);

      const missing = slotName(fx.env.name, 'no_such_slot');
      const error = await prune(missing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe('input.invalid');
      expect(await errorCodeOf(prune(missing))).toBe('input.invalid');
      expect(await outboxIds()).toEqual(new Set(ids));
    });
  });
});
