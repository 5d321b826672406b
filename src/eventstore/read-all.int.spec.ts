import { randomUUID } from 'node:crypto';
import { appendInput, sleep } from '../../test/fixtures/events';
import { between, seededRandom } from '../../test/fixtures/random';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import { pgExecutor } from '../db/executor';
import { Checkpoint, START } from './read-all';
import type { StoredEvent } from './types';

/**
 * The global order as a catch-up reader sees it while transactions commit out of position order. Only the
 * reader's own database is written here, but `pg_snapshot_xmin` is cluster-wide: transactions of other test
 * files may hold the reader back for a moment, so "eventually read" waits with a deadline.
 */
describe('readAll, the global order', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { poolSize: 14 });
  });
  afterAll(() => fx.close());

  /** Why a reader is behind: the horizon, and how many events and the last transaction the database holds. */
  async function lag(checkpoint: Checkpoint, seenIds: string[]): Promise<string> {
    const { rows } = await fx.pool.query(
      `select pg_current_snapshot()::text as snapshot, count(*)::int as events, max(transaction_id)::text as last_tx
         from events`,
    );
    const missing = await fx.pool.query(
      `select transaction_id::text as tx, global_position::text as position, recorded_at from events
        where event_id <> all($1) order by transaction_id, global_position limit 5`,
      [seenIds],
    );
    return JSON.stringify({ checkpoint, seen: seenIds.length, ...rows[0], missing: missing.rows });
  }

  /** A reader that remembers its checkpoint and everything it was given, in order. */
  function reader(batchSize: number) {
    let checkpoint: Checkpoint = START;
    const seen: StoredEvent[] = [];
    return {
      seen,
      /** One readAll call; returns how many events it gave. */
      async poll(): Promise<number> {
        const result = await fx.store.readAll(checkpoint, batchSize);
        seen.push(...result.events);
        checkpoint = result.checkpoint;
        return result.events.length;
      },
      /**
       * Polls until `done()` holds, or fails after the deadline. The deadline is generous: readAll stops below
       * the oldest transaction open in the whole PostgreSQL cluster, and the other int specs share it (one of
       * them holding a transaction for seconds holds this reader back as long).
       */
      async until(done: () => boolean, deadlineMs = 90_000): Promise<void> {
        const deadline = Date.now() + deadlineMs;
        while (!done()) {
          if (Date.now() > deadline)
            throw new Error(
              `reader did not catch up within ${deadlineMs} ms: ${await lag(
                checkpoint,
                seen.map((e) => e.eventId),
              )}`,
            );
          if ((await this.poll()) === 0) await sleep(5);
        }
      },
    };
  }

  const allEventIds = async () =>
    (await fx.pool.query<{ id: string }>('select event_id as id from events')).rows.map((row) => row.id);

  /** (transaction id, position) strictly increases along what a reader was given. */
  function strictlyIncreasing(events: StoredEvent[]): boolean {
    return events.every((event, i) => {
      const before = events[i - 1];
      if (!before) return true;
      const [t0, p0, t1, p1] = [
        before.transactionId,
        before.position,
        event.transactionId,
        event.position,
      ].map(BigInt) as [bigint, bigint, bigint, bigint];
      return t1 > t0 || (t1 === t0 && p1 > p0);
    });
  }

  it('holds back an event committed behind a still-open transaction, and delivers both once it commits', async () => {
    const read = reader(100);
    const slow = await fx.env.pg();
    await slow.query('begin');
    const early = await fx.store.append(appendInput('ra-early', 'no_stream', 1), {
      executor: pgExecutor(slow),
    });
    const late = await fx.store.append(appendInput('ra-late', 'no_stream', 1));
    // The hazard: the later position is committed first.
    expect(BigInt(early.events[0]!.position)).toBeLessThan(BigInt(late.events[0]!.position));

    await read.poll();
    expect(read.seen.map((event) => event.eventId)).not.toContain(late.events[0]!.eventId);

    await slow.query('commit');
    await read.until(() => read.seen.length >= 2);
    expect(read.seen.map((event) => event.eventId)).toEqual([
      early.events[0]!.eventId,
      late.events[0]!.eventId,
    ]);
  });

  it('never skips or repeats an event while 8 writers, some holding their transactions open, commit out of position order', async () => {
    const WRITERS = 8;
    const WRITE_MS = 2_500;
    const end = Date.now() + WRITE_MS;
    const commits: { order: number; positions: bigint[] }[] = [];
    const rolledBack = new Set<string>();
    let commitOrder = 0;

    async function writer(index: number): Promise<void> {
      const random = seededRandom(1_000 + index);
      const slow = index % 2 === 0;
      const streamId = `ra-writer-${index}`;
      let version = 0;
      while (Date.now() < end) {
        const input = appendInput(streamId, version, between(random, 1, 3));
        const holdMs = slow ? between(random, 50, 300) : between(random, 0, 3);
        const rollback = random() < 0.1;
        try {
          const result = await fx.store.transaction(async (executor) => {
            const appended = await fx.store.append(input, { executor });
            await sleep(holdMs);
            if (rollback) throw new Error('writer gives up');
            return appended;
          });
          version = result.nextVersion;
          commits.push({ order: commitOrder++, positions: result.events.map((e) => BigInt(e.position)) });
        } catch (error) {
          if (!rollback) throw error;
          for (const event of input.events) rolledBack.add(event.eventId!);
        }
      }
    }

    const read = reader(20);
    let writing = true;
    const polling = (async () => {
      while (writing) if ((await read.poll()) === 0) await sleep(2);
    })();
    await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
    writing = false;
    await polling;

    const committed = await allEventIds();
    await read.until(() => read.seen.length >= committed.length);

    const seenIds = read.seen.map((event) => event.eventId);
    expect(new Set(seenIds).size).toBe(seenIds.length); // no event twice
    expect([...seenIds].sort()).toEqual([...committed].sort()); // every committed event, nothing else
    expect(seenIds.filter((id) => rolledBack.has(id))).toEqual([]);
    expect(strictlyIncreasing(read.seen)).toBe(true);

    // The run did exercise the hazard: transactions committed after others with higher positions.
    let highest = 0n;
    let lateCommits = 0;
    for (const commit of commits.sort((a, b) => a.order - b.order)) {
      const lowest = commit.positions.reduce((a, b) => (a < b ? a : b));
      if (lowest < highest) lateCommits++;
      for (const position of commit.positions) if (position > highest) highest = position;
    }
    expect(lateCommits).toBeGreaterThan(0);
    expect(committed.length).toBeGreaterThan(100);
  }, 150_000);

  it('orders transactions by number, not as text: 9, 10, 100 (a reader once skipped 9 after 100)', async () => {
    // Transaction ids are the database's to assign; these rows name old ones (all long finished) so the order
    // no longer depends on whether this run's ids happen to cross a power of ten.
    const { rows } = await fx.pool.query<{ xmin: string }>(
      `select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
    );
    expect(BigInt(rows[0]!.xmin)).toBeGreaterThan(100n);
    const ids = ['9', '100', '10'].map((tx, i) => ({ tx, id: randomUUID(), version: i + 1 }));
    for (const { tx, id, version } of ids)
      await fx.pool.query(
        `insert into events (transaction_id, stream_id, stream_type, stream_version, event_id, event_type,
                             schema_version, data, occurred_at)
         values ($1::xid8, 'ra-numeric', 'thing', $2, $3, 'ThingHappened', 1, '{}', now())`,
        [tx, version, id],
      );

    const read = reader(1); // one event per call, so the checkpoint stands on each of them in turn
    const committed = await allEventIds();
    await read.until(() => read.seen.length >= committed.length);
    const numeric = read.seen.filter((event) => event.streamId === 'ra-numeric');
    expect(numeric.map((event) => event.transactionId)).toEqual(['9', '10', '100']);
    expect(read.seen).toHaveLength(committed.length);
    expect(strictlyIncreasing(read.seen)).toBe(true);
  });
});
