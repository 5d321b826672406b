import { Client, Pool } from 'pg';
import { appendInput, errorCodeOf, testEvents } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import {
  createDecodingSlot,
  dropSlot,
  eventInserts,
  outboxMessages,
  peekChanges,
  slotName,
} from '../../test/fixtures/wal';
import { createEventStoreFor } from '../commands/order-service';
import { Executor, pgExecutor } from '../db/executor';
import { toOutboxEntry, withStateAfter } from '../outbox/mapping';
import type { OutboxMode } from '../outbox/types';
import { appendWithOutbox } from './append-with-outbox';
import { oneToOneOutbox, type OutboxEntries } from './store';
import type { PendingEvent } from './types';
import { withSessionOptions } from '../db/pool';

/**
 * The single-statement append: when the store owns the transaction and knows the expected version up front,
 * the events and their outbox entries are one autocommitted statement. These tests hold it to the same
 * guarantees as the multi-statement path: one outbox entry per event from the event's own transaction, and a
 * conflict or any failure writes nothing at all.
 */
describe('appending with the outbox in one statement', () => {
  let fx: StoreFixture;
  let pg: Client;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { settings: { OUTBOX_MODE: 'table' } });
    pg = await fx.env.pg();
  });
  afterAll(() => fx.close());

  interface JoinedRow {
    event_id: string;
    version: string;
    event_tx: string;
    outbox_tx: string | null;
    outbox_version: string | null;
  }

  /** Every event of the stream with its outbox row (null when it has none). */
  const eventsWithOutbox = async (streamId: string) =>
    (
      await fx.pool.query<JoinedRow>(
        `select e.event_id, e.stream_version as version, e.transaction_id::text as event_tx,
                o.transaction_id::text as outbox_tx, o.stream_version as outbox_version
         from events e left join outbox o on o.id = e.event_id
         where e.stream_id = $1 order by e.stream_version`,
        [streamId],
      )
    ).rows;

  /** What a failed append must not have left: its events, outbox rows or a moved stream version. */
  async function traces(streamId: string, eventIds: string[]) {
    const { rows } = await fx.pool.query<{ events: number; outbox: number; version: string | null }>(
      `select (select count(*)::int from events where event_id = any($2::uuid[])) as events,
              (select count(*)::int from outbox where id = any($2::uuid[])) as outbox,
              (select version from streams where stream_id = $1) as version`,
      [streamId, eventIds],
    );
    return rows[0]!;
  }

  /** The real executor, counting the statements it is given. */
  function counting(executor: Executor): Executor & { statements: string[] } {
    const statements: string[] = [];
    return {
      statements,
      query: (sql, params) => {
        statements.push(sql);
        return executor.query(sql, params);
      },
    };
  }

  /** A pool of its own that records every SQL text its connections are sent. */
  function recordingPool(): { pool: Pool; sent: string[] } {
    const pool = new Pool({ connectionString: withSessionOptions(fx.config.databaseUrl), max: 2 });
    const sent: string[] = [];
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
        const first = args[0];
        sent.push((typeof first === 'string' ? first : (first as { text: string }).text).trim());
        return query(...args);
      };
    });
    return { pool, sent };
  }

  it('is one statement, and every event gets its outbox row from the same transaction', async () => {
    const executor = counting(pgExecutor(fx.pool));

    const created = await appendWithOutbox(
      executor,
      'table',
      appendInput('one-tx', 'no_stream', 3),
      oneToOneOutbox,
    );
    const extended = await appendWithOutbox(executor, 'table', appendInput('one-tx', 3, 2), oneToOneOutbox);

    expect(executor.statements).toHaveLength(2); // no BEGIN, no COMMIT, no separate outbox insert
    const rows = await eventsWithOutbox('one-tx');
    expect(rows.map((row) => Number(row.version))).toEqual([1, 2, 3, 4, 5]);
    for (const row of rows) {
      expect(row.outbox_tx).toBe(row.event_tx);
      expect(row.outbox_version).toBe(row.version);
    }
    const transactionsOf = (result: typeof created) => [
      ...new Set(result.events.map((e) => e.transactionId)),
    ];
    expect(transactionsOf(created)).toEqual([rows[0]!.event_tx]);
    expect(transactionsOf(extended)).toEqual([rows[3]!.event_tx]);
    expect(rows[3]!.event_tx).not.toBe(rows[0]!.event_tx);
    expect(extended.nextVersion).toBe(5);
  });

  it.each<OutboxMode>(['table', 'message'])(
    "is what store.append sends in mode '%s' when it owns the transaction and knows the expected version",
    async (mode) => {
      const { pool, sent } = recordingPool();
      try {
        const store = createEventStoreFor(fx.configWith({ OUTBOX_MODE: mode }), pool);
        await store.append(appendInput(`path-${mode}`, 'no_stream', 2));
        await store.append(appendInput(`path-${mode}`, 2, 1));
        expect(sent).toHaveLength(2);
        expect(sent.every((sql) => sql.startsWith('with moved as'))).toBe(true);

        // 'any' and 'stream_exists' resolve the version in a transaction first: the multi-statement path.
        sent.length = 0;
        await store.append(appendInput(`path-${mode}`, 'any', 1));
        await store.append(appendInput(`path-${mode}`, 'stream_exists', 1));
        expect(sent.filter((sql) => sql === 'begin')).toHaveLength(2);
        expect(sent.filter((sql) => sql === 'commit')).toHaveLength(2);
      } finally {
        await pool.end();
      }
    },
  );

  it("keeps the transaction for 'table-transient'; joining the caller's transaction, an exact version is one statement in it", async () => {
    const { pool, sent } = recordingPool();
    try {
      const transient = createEventStoreFor(fx.configWith({ OUTBOX_MODE: 'table-transient' }), pool);
      await transient.append(appendInput('path-transient', 'no_stream', 1));
      expect(sent[0]).toBe('begin');
      expect(sent.at(-1)).toBe('commit');

      sent.length = 0;
      const store = createEventStoreFor(fx.configWith({ OUTBOX_MODE: 'table' }), pool);
      await store.transaction((executor) =>
        store.append(appendInput('path-joined', 'no_stream', 1), { executor }),
      );
      expect(sent).toHaveLength(3);
      expect(sent[0]).toBe('begin');
      expect(sent[1]!.startsWith('with moved as')).toBe(true); // events and outbox entries together
      expect(sent[2]).toBe('commit');

      // 'any' reads (and locks) the version first, then appends and writes the outbox: more statements.
      sent.length = 0;
      await store.transaction((executor) => store.append(appendInput('path-joined', 'any', 1), { executor }));
      expect(sent.length).toBeGreaterThan(3);
      expect(await fx.pool.query(`select 1 from outbox where aggregate_id = 'path-joined'`)).toHaveProperty(
        'rowCount',
        2,
      );
    } finally {
      await pool.end();
    }
  });

  it('a conflict raises store.conflict and writes no event, no outbox row and no stream version', async () => {
    await fx.store.append(appendInput('conflict-1', 'no_stream', 2));

    const attempts = [
      appendInput('conflict-1', 'no_stream', 2), // the create variant: the stream exists
      appendInput('conflict-1', 1, 2), // the extend variant: stale
      appendInput('conflict-1', 3, 1), // ahead of the stream
      appendInput('conflict-missing', 4, 1), // the stream does not exist
    ];
    for (const input of attempts) {
      expect(await errorCodeOf(fx.store.append(input))).toBe('store.conflict');
      const ids = input.events.map((event) => event.eventId!);
      const left = await traces(input.streamId, ids);
      expect({ events: left.events, outbox: left.outbox }).toEqual({ events: 0, outbox: 0 });
    }
    expect((await traces('conflict-1', [])).version).toBe('2');
    expect((await traces('conflict-missing', [])).version).toBeNull();
    expect((await eventsWithOutbox('conflict-1')).map((row) => row.outbox_tx !== null)).toEqual([true, true]);
  });

  it('a failure after the events were inserted leaves nothing behind: the statement is its own transaction', async () => {
    await fx.store.append(appendInput('fail-late', 'no_stream', 1));
    const input = appendInput('fail-late', 1, 2);
    // Two entries with the same id: the outbox insert violates its primary key after the events went in.
    const duplicated: OutboxEntries = (events) => {
      const entries = oneToOneOutbox(events);
      return entries.map((entry) => ({ ...entry, id: entries[0]!.id }));
    };

    const error = await fx.store.append(input, { outbox: duplicated }).catch((e: unknown) => e);

    expect((error as { cause?: { code?: string } }).cause?.code).toBe('23505');
    const left = await traces(
      'fail-late',
      input.events.map((event) => event.eventId!),
    );
    expect(left).toEqual({ events: 0, outbox: 0, version: '1' });
  });

  it('a mapping that throws writes nothing', async () => {
    const input = appendInput('mapping-throws', 'no_stream', 2);
    const throwing: OutboxEntries = () => {
      throw new Error('the mapping fails');
    };

    await expect(fx.store.append(input, { outbox: throwing })).rejects.toThrow('the mapping fails');

    expect(
      await traces(
        'mapping-throws',
        input.events.map((event) => event.eventId!),
      ),
    ).toEqual({
      events: 0,
      outbox: 0,
      version: null,
    });
  });

  it('gives the mapping the events as they are stored: ids, versions, metadata and occurredAt in UTC', async () => {
    const seen: PendingEvent[] = [];
    const recording: OutboxEntries = (events) => {
      seen.push(...events);
      return events.map((event) =>
        toOutboxEntry(event, 'agg-1', withStateAfter(event, { n: event.version })!),
      );
    };
    await fx.store.append(appendInput('as-stored', 'no_stream', 1));
    const [first, second] = testEvents(2);
    const result = await fx.store.append(
      {
        streamId: 'as-stored',
        streamType: 'thing',
        expected: 1,
        events: [{ ...first!, occurredAt: '2025-07-01T12:00:00+02:00' }, second!],
        metadata: { correlationId: 'corr-1' },
      },
      { outbox: recording },
    );

    const { rows } = await fx.pool.query<{ id: string; version: string; occurred_at: Date; headers: object }>(
      `select e.event_id as id, e.stream_version as version, e.occurred_at, o.headers
       from events e join outbox o on o.id = e.event_id where e.stream_id = 'as-stored' and e.stream_version > 1
       order by e.stream_version`,
    );
    expect(seen.map((event) => [event.eventId, event.version])).toEqual(
      rows.map((row) => [row.id, Number(row.version)]),
    );
    expect(seen[0]!.occurredAt).toBe('2025-07-01T10:00:00.000Z');
    expect(rows.map((row) => row.occurred_at.toISOString())).toEqual(seen.map((event) => event.occurredAt));
    expect(rows.map((row) => row.headers)).toEqual(
      seen.map((event) => ({ occurredAt: event.occurredAt, correlationId: 'corr-1' })),
    );
    // The result is the pending events completed with what the database assigned.
    expect(
      result.events.map(({ position: _p, transactionId: _t, recordedAt: _r, ...pending }) => pending),
    ).toEqual(seen);
  });

  it('rejects an occurredAt that is not a time as input.invalid, writing nothing', async () => {
    const [event] = testEvents(1);
    const input = { ...appendInput('bad-time', 'no_stream', [{ ...event!, occurredAt: 'yesterday-ish' }]) };

    expect(await errorCodeOf(fx.store.append(input))).toBe('input.invalid');
    expect(await traces('bad-time', [event!.eventId!])).toEqual({ events: 0, outbox: 0, version: null });
  });

  it("in mode 'message', emits each entry in the event's transaction, and nothing for a conflict", async () => {
    const store = fx.storeWith({ OUTBOX_MODE: 'message' });
    const slot = slotName(fx.env.name, 'message_one_statement');
    await createDecodingSlot(pg, slot);
    try {
      const committed = await store.append(appendInput('msg-1', 'no_stream', 2));
      const losing = appendInput('msg-1', 1, 2);
      expect(await errorCodeOf(store.append(losing))).toBe('store.conflict');
      const later = await store.append(appendInput('msg-1', 2, 1)); // so the decoded WAL covers the conflict

      const changes = await peekChanges(pg, slot);
      const eventXids = new Map(eventInserts(changes).map((insert) => [insert.id, insert.xid]));
      const messages = outboxMessages(changes);
      const committedIds = [...committed.events, ...later.events].map((event) => event.eventId);
      expect(messages.map((message) => message.entry.id)).toEqual(committedIds);
      for (const message of messages) {
        expect(message.transactional).toBe(true);
        expect(message.xid).toBe(eventXids.get(message.entry.id));
      }
      const decoded = changes.map((change) => change.data).join('\n');
      for (const event of losing.events) expect(decoded).not.toContain(event.eventId);
      expect(await fx.pool.query('select 1 from outbox where aggregate_id = $1', ['msg-1'])).toMatchObject({
        rowCount: 0,
      });
    } finally {
      await dropSlot(pg, slot);
    }
  });
});
