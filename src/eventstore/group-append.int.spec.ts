import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { appendInput, errorCodeOf, sleep, testEvents } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import {
  createDecodingSlot,
  dropSlot,
  outboxMessages,
  peekChanges,
  slotName,
  xid32,
} from '../../test/fixtures/wal';
import { Executor, pgExecutor } from '../db/executor';
import { TributaryError } from '../errors';
import type { AppendInput } from './append';
import { pendingEvents } from './append';
import { APPEND_GROUP_SQL, appendGroupParams, createGroupAppender } from './group-append';
import { oneToOneOutbox } from './store';
import type { AppendResult } from './types';

/**
 * Group commit: appends that arrive while one is being written go together as one statement. These tests hold
 * a group to what every append promises on its own: its events and outbox entries commit together, a conflict
 * fails only its own append, and nothing waits on a stream another transaction holds.
 */
describe('group commit of appends', () => {
  let fx: StoreFixture;
  let pg: Client;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { settings: { OUTBOX_MODE: 'table' } });
    pg = await fx.env.pg();
  });
  afterAll(() => fx.close());

  /** The pool's executor, recording which statements it is sent. */
  function recording(): Executor & { sent: string[] } {
    const executor = pgExecutor(fx.pool);
    const sent: string[] = [];
    return {
      sent,
      query: (sql, params) => {
        sent.push(sql === APPEND_GROUP_SQL.table || sql === APPEND_GROUP_SQL.message ? 'group' : sql);
        return executor.query(sql, params);
      },
    };
  }

  const stream = () => `thing-${randomUUID()}`;

  /** Puts a stream at version `version`, outside any group. */
  async function streamAt(version: number): Promise<string> {
    const id = stream();
    await fx.store.append(appendInput(id, 'no_stream', version));
    return id;
  }

  interface Row {
    stream_id: string;
    version: string;
    position: string;
    event_tx: string;
    outbox_tx: string | null;
  }

  /** The events of some streams with their outbox row's transaction (null when it has none). */
  async function eventsOf(streamIds: string[]): Promise<Row[]> {
    const { rows } = await fx.pool.query<Row>(
      `select e.stream_id, e.stream_version::text as version, e.global_position::text as position,
              e.transaction_id::text as event_tx, o.transaction_id::text as outbox_tx
       from events e left join outbox o on o.id = e.event_id
       where e.stream_id = any($1) order by e.global_position`,
      [streamIds],
    );
    return rows;
  }

  it('sends the appends that wait for a statement as one, in one transaction, each with its outbox entries', async () => {
    const executor = recording();
    const appender = createGroupAppender(executor, 'table', 64);
    const streams = Array.from({ length: 10 }, stream);
    // All in the same tick: the first goes alone at once, the other nine wait for it and go together.
    const results = await Promise.all(
      streams.map((id) => appender.append(appendInput(id, 'no_stream', 3), oneToOneOutbox)),
    );

    expect(executor.sent.filter((sql) => sql === 'group')).toHaveLength(1);
    expect(executor.sent).toHaveLength(2);
    expect(results.map((r) => r.nextVersion)).toEqual(streams.map(() => 3));
    const rows = await eventsOf(streams);
    expect(rows).toHaveLength(30);
    for (const row of rows) expect(row.outbox_tx).toBe(row.event_tx); // every event has its entry, same tx
    const grouped = rows.filter((row) => row.stream_id !== streams[0]);
    expect(new Set(grouped.map((row) => row.event_tx)).size).toBe(1);
    for (const id of streams) {
      const mine = rows.filter((row) => row.stream_id === id);
      // Positions follow versions within each stream.
      expect(mine.map((row) => Number(row.version))).toEqual([1, 2, 3]);
      const result = results[streams.indexOf(id)]!;
      expect(result.events.map((e) => e.position)).toEqual(mine.map((row) => row.position));
      expect(result.events.map((e) => e.transactionId)).toEqual(mine.map((row) => row.event_tx));
    }
  });

  it('fails only the appends whose stream is not at the expected version', async () => {
    const appender = createGroupAppender(recording(), 'table', 64);
    const [a, b, c, d] = await Promise.all([streamAt(1), streamAt(1), streamAt(1), streamAt(2)]);
    const fresh = stream();
    const appends: Array<[string, AppendInput]> = [
      ['filler', appendInput(stream(), 'no_stream')], // in flight while the others queue
      ['a ok', appendInput(a, 1, 2)],
      ['b exists', appendInput(b, 'no_stream')],
      ['c ahead', appendInput(c, 5)],
      ['d ok', appendInput(d, 2)],
      ['fresh', appendInput(fresh, 'no_stream', 2)],
    ];
    const settled = await Promise.allSettled(
      appends.map(([, input]) => appender.append(input, oneToOneOutbox)),
    );
    const outcome = Object.fromEntries(
      settled.map((s, i) => [
        appends[i]![0],
        s.status === 'fulfilled' ? s.value.nextVersion : (s.reason as TributaryError).code,
      ]),
    );
    expect(outcome).toEqual({
      filler: 1,
      'a ok': 3,
      'b exists': 'store.conflict',
      'c ahead': 'store.conflict',
      'd ok': 3,
      fresh: 2,
    });
    const reason = (i: number) => (settled[i] as PromiseRejectedResult).reason as TributaryError;
    expect(reason(2).details).toMatchObject({ actual: 1 });
    expect(reason(3).details).toMatchObject({ expected: 5, actual: 1 });
    // The failed ones wrote nothing: b and c still hold just their first event, with no extra outbox rows.
    const rows = await eventsOf([a, b, c, d, fresh]);
    const count = (id: string) => rows.filter((row) => row.stream_id === id).length;
    expect([count(a), count(b), count(c), count(d), count(fresh)]).toEqual([3, 1, 1, 3, 2]);
    expect(rows.every((row) => row.outbox_tx === row.event_tx)).toBe(true);
    const { rows: versions } = await fx.pool.query<{ stream_id: string; version: string }>(
      'select stream_id, version::text from streams where stream_id = any($1)',
      [[b, c]],
    );
    expect(versions.map((v) => v.version)).toEqual(['1', '1']);
  });

  it('never puts two appends to one stream in the same statement', async () => {
    const executor = recording();
    const appender = createGroupAppender(executor, 'table', 64);
    const id = stream();
    const settled = await Promise.allSettled([
      appender.append(appendInput(stream(), 'no_stream'), oneToOneOutbox), // in flight
      appender.append(appendInput(id, 'no_stream', 2), oneToOneOutbox),
      appender.append(appendInput(id, 2), oneToOneOutbox), // after the one before: version 2 by then
      appender.append(appendInput(id, 'no_stream'), oneToOneOutbox), // the same version as the second
    ]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.nextVersion : 'rejected'))).toEqual([
      1,
      2,
      3,
      'rejected',
    ]);
    // Each append to `id` had its own statement: one single append, then one statement per append to `id`.
    expect(executor.sent.length).toBeGreaterThanOrEqual(4);
    const rows = await eventsOf([id]);
    expect(rows.map((row) => Number(row.version))).toEqual([1, 2, 3]);
  });

  it('does not wait for a stream another transaction holds: the rest commit, that append follows the lock', async () => {
    const appender = createGroupAppender(recording(), 'table', 64);
    const [held, free] = await Promise.all([streamAt(1), streamAt(1)]);
    await pg.query('begin');
    await pg.query('select version from streams where stream_id = $1 for update', [held]);
    let heldDone = false;
    const filler = appender.append(appendInput(stream(), 'no_stream'), oneToOneOutbox);
    const onHeld = appender.append(appendInput(held, 1), oneToOneOutbox).then((r) => {
      heldDone = true;
      return r;
    });
    const onFree = appender.append(appendInput(free, 1), oneToOneOutbox);
    await filler;
    expect((await onFree).nextVersion).toBe(2); // committed while `held` is still locked
    // Later appends keep going too.
    expect((await appender.append(appendInput(stream(), 'no_stream'), oneToOneOutbox)).nextVersion).toBe(1);
    await sleep(200);
    expect(heldDone).toBe(false);
    await pg.query('rollback');
    expect((await onHeld).nextVersion).toBe(2);
    expect((await eventsOf([held])).map((row) => Number(row.version))).toEqual([1, 2]);
  });

  it('when the server rejects a group, tries each append alone so only the one at fault fails', async () => {
    const executor = recording();
    const appender = createGroupAppender(executor, 'table', 64);
    const existing = await streamAt(1);
    const [taken] = (
      await fx.pool.query<{ event_id: string }>('select event_id from events where stream_id = $1', [
        existing,
      ])
    ).rows;
    const duplicate = testEvents(1);
    duplicate[0]!.eventId = taken!.event_id; // a unique violation: the whole statement is rejected
    const good = [stream(), stream()];
    const bad = stream();
    const settled = await Promise.allSettled([
      appender.append(appendInput(stream(), 'no_stream'), oneToOneOutbox), // in flight
      appender.append(appendInput(good[0]!, 'no_stream', 2), oneToOneOutbox),
      appender.append(appendInput(bad, 'no_stream', duplicate), oneToOneOutbox),
      appender.append(appendInput(good[1]!, 'no_stream', 2), oneToOneOutbox),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(executor.sent.slice(1, 2)).toEqual(['group']);
    expect(executor.sent.length).toBe(5); // the single, the rejected group, then three single appends
    const rows = await eventsOf([...good, bad]);
    expect(rows.filter((row) => row.stream_id === bad)).toHaveLength(0);
    expect(rows).toHaveLength(4);
    expect(rows.every((row) => row.outbox_tx === row.event_tx)).toBe(true);
  });

  it("in mode 'message', emits each group member's entries in the group's transaction, in version order", async () => {
    const slot = slotName(fx.env.name, 'group');
    await createDecodingSlot(pg, slot);
    try {
      const appender = createGroupAppender(pgExecutor(fx.pool), 'message', 64);
      const conflicting = await streamAt(1);
      const streams = [stream(), stream(), stream()];
      const settled = await Promise.allSettled([
        appender.append(appendInput(stream(), 'no_stream'), oneToOneOutbox), // in flight
        ...streams.map((id) => appender.append(appendInput(id, 'no_stream', 3), oneToOneOutbox)),
        appender.append(appendInput(conflicting, 'no_stream'), oneToOneOutbox),
      ]);
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      const results = settled.slice(1, 4).map((s) => (s as PromiseFulfilledResult<AppendResult>).value);
      const messages = outboxMessages(await peekChanges(pg, slot));
      const tx = results[0]!.events[0]!.transactionId;
      for (const [i, id] of streams.entries()) {
        const mine = messages.filter((m) => m.entry.aggregateId === id);
        expect(mine.map((m) => m.entry.streamVersion)).toEqual([1, 2, 3]);
        expect(mine.map((m) => m.entry.id)).toEqual(results[i]!.events.map((e) => e.eventId));
        expect(mine.every((m) => m.transactional && m.xid === xid32(tx))).toBe(true);
      }
      // The conflicting append emitted nothing (its stream's first event was written as an outbox row).
      expect(messages.filter((m) => m.entry.aggregateId === conflicting)).toHaveLength(0);
    } finally {
      await dropSlot(pg, slot);
    }
  });

  it('through the store, concurrent racing appends leave every stream without gaps or duplicates', async () => {
    const store = fx.storeWith({ STORE_GROUP_MAX: '64' });
    const streams = Array.from({ length: 20 }, stream);
    const versions = new Map(streams.map((id) => [id, 0]));
    const results: AppendResult[] = [];
    let conflicts = 0;
    // 20 writers per stream round, each expecting the version it last saw: many lose, none may corrupt.
    for (let round = 0; round < 5; round++) {
      const settled = await Promise.allSettled(
        streams.flatMap((id) =>
          [0, 1, 2].map(() =>
            store.append(appendInput(id, versions.get(id)!, 2), { outbox: oneToOneOutbox }),
          ),
        ),
      );
      for (const s of settled) {
        if (s.status === 'fulfilled') {
          results.push(s.value);
          versions.set(s.value.streamId, s.value.nextVersion);
        } else {
          expect(await errorCodeOf(Promise.reject(s.reason))).toBe('store.conflict');
          conflicts++;
        }
      }
    }
    expect(conflicts).toBe(20 * 5 * 2); // exactly one of the three writers per stream and round wins
    const rows = await eventsOf(streams);
    for (const id of streams) {
      const mine = rows.filter((row) => row.stream_id === id).map((row) => Number(row.version));
      expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
    expect(rows.every((row) => row.outbox_tx === row.event_tx)).toBe(true);
    expect(results.flatMap((r) => r.events.map((e) => e.eventId)).sort()).toEqual(
      (
        await fx.pool.query<{ id: string }>('select event_id as id from events where stream_id = any($1)', [
          streams,
        ])
      ).rows
        .map((r) => r.id)
        .sort(),
    );
  });

  it('reaches streams only through its key in the generic plan, even planned while the table is small', async () => {
    // Temporary tables shadow the store's in this session and are never analyzed: the planner sees what it
    // sees on a new database, a few hundred streams and no statistics, where a `stream_id = any(...)` filter
    // once got a generic plan that read every stream on every group.
    const session = await fx.env.pg();
    try {
      for (const table of ['streams', 'events', 'outbox']) {
        await session.query(`create temporary table ${table} (like public.${table} including all)`);
      }
      await session.query(
        `insert into streams (stream_id, stream_type, version) select 's-' || i, 'thing', 1 from generate_series(1, 600) i`,
      );
      await session.query(`set plan_cache_mode = force_generic_plan`);
      for (const mode of ['table', 'message'] as const) {
        const appends = [appendInput('s-1', 1), appendInput('s-2', 1), appendInput('new', 'no_stream')].map(
          (input) => {
            const from = typeof input.expected === 'number' ? input.expected : 0;
            const events = pendingEvents(input, from);
            return { input, from, events, entries: oneToOneOutbox(events) };
          },
        );
        const params = appendGroupParams(mode, appends);
        await session.query(`prepare grouped_${mode} as ${APPEND_GROUP_SQL[mode]}`);
        // EXPLAIN takes no bind parameters: the values go in as literals, typed by the prepared statement.
        const literal = (value: unknown): string =>
          session.escapeLiteral(
            Array.isArray(value)
              ? `{${value.map((item) => `"${String(item).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`
              : String(value),
          );
        const { rows } = await session.query<{ 'QUERY PLAN': string }>(
          `explain execute grouped_${mode}(${params.map(literal).join(', ')})`,
        );
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        const scans = plan.match(/\b[\w ]*Scan\b[^\n]* on streams\b/g) ?? [];
        expect(scans.length).toBeGreaterThan(0);
        expect(scans.every((scan) => /Index Scan using streams_pkey/.test(scan))).toBe(true);
        expect(plan).toMatch(/Conflict Arbiter Indexes: streams_pkey/);
      }
    } finally {
      await session.end();
    }
  });
});
