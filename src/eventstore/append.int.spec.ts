import { TributaryError } from '../errors';
import { appendInput, errorCodeOf } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import type { AppendResult, ExpectedVersion } from './types';

/**
 * Optimistic concurrency of appends against the real PostgreSQL: many writers expecting the same version
 * race in their own transactions (a pool wide enough that they really run at once).
 */
describe('appending to a stream', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { poolSize: 25 });
  });
  afterAll(() => fx.close());

  const RACERS = 50;

  async function versionsOf(streamId: string): Promise<number[]> {
    const { rows } = await fx.pool.query<{ v: string }>(
      'select stream_version as v from events where stream_id = $1 order by stream_version',
      [streamId],
    );
    return rows.map((row) => Number(row.v));
  }

  async function streamVersion(streamId: string): Promise<number | undefined> {
    const { rows } = await fx.pool.query<{ version: string }>(
      'select version from streams where stream_id = $1',
      [streamId],
    );
    return rows[0] === undefined ? undefined : Number(rows[0].version);
  }

  async function outboxIdsOf(streamId: string): Promise<string[]> {
    const { rows } = await fx.pool.query<{ id: string }>(
      'select id from outbox where aggregate_id = $1 order by stream_version',
      [streamId],
    );
    return rows.map((row) => row.id);
  }

  async function eventIdsOf(streamId: string): Promise<string[]> {
    const { rows } = await fx.pool.query<{ id: string }>(
      'select event_id as id from events where stream_id = $1 order by stream_version',
      [streamId],
    );
    return rows.map((row) => row.id);
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /** Starts `RACERS` appends at once, each in its own transaction; returns who won and why the others lost. */
  async function race(streamId: string, expected: ExpectedVersion, eventsEach: number) {
    const inputs = Array.from({ length: RACERS }, () => appendInput(streamId, expected, eventsEach));
    const settled = await Promise.allSettled(inputs.map((input) => fx.store.append(input)));
    const won = settled.flatMap((outcome, i) =>
      outcome.status === 'fulfilled' ? [{ result: outcome.value, input: inputs[i]! }] : [],
    );
    const lost = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    return { won, lost };
  }

  const conflictCodes = (errors: unknown[]) =>
    errors.map((error) => (error instanceof TributaryError ? error.code : String(error)));

  it('lets exactly one of 50 concurrent appends expecting the same version win; the other 49 get store.conflict and write nothing', async () => {
    const streamId = 'race-exact';
    await fx.store.append(appendInput(streamId, 'no_stream', 2));

    for (let round = 0; round < 3; round++) {
      const before = 2 + round * 2;
      const { won, lost } = await race(streamId, before, 2);

      expect(won).toHaveLength(1);
      expect(conflictCodes(lost)).toEqual(Array(RACERS - 1).fill('store.conflict'));
      expect(won[0]!.result.nextVersion).toBe(before + 2);
      // The winner's events, and only those, took the next versions.
      const winnerIds = won[0]!.input.events.map((event) => event.eventId);
      expect((await eventIdsOf(streamId)).slice(before)).toEqual(winnerIds);
    }

    expect(await versionsOf(streamId)).toEqual(range(1, 8));
    expect(await streamVersion(streamId)).toBe(8);
    // Losers left no outbox entry either: one per stored event.
    expect(await outboxIdsOf(streamId)).toEqual(await eventIdsOf(streamId));
  });

  it("lets exactly one of 50 concurrent 'no_stream' creators win; the others get store.conflict", async () => {
    const streamId = 'race-create';
    const { won, lost } = await race(streamId, 'no_stream', 3);

    expect(won).toHaveLength(1);
    expect(conflictCodes(lost)).toEqual(Array(RACERS - 1).fill('store.conflict'));
    expect(await versionsOf(streamId)).toEqual([1, 2, 3]);
    expect(await streamVersion(streamId)).toBe(3);
    expect(await eventIdsOf(streamId)).toEqual(won[0]!.input.events.map((event) => event.eventId));
    expect(await outboxIdsOf(streamId)).toEqual(await eventIdsOf(streamId));
  });

  it("numbers 50 concurrent 'any' appends to an existing stream 1..n without gaps or duplicates (all succeed)", async () => {
    const streamId = 'race-any';
    await fx.store.append(appendInput(streamId, 'no_stream', 1));

    const { won, lost } = await race(streamId, 'any', 2);

    expect(lost).toEqual([]);
    expect(won).toHaveLength(RACERS);
    expect(await versionsOf(streamId)).toEqual(range(1, 1 + 2 * RACERS));
    expect(await streamVersion(streamId)).toBe(1 + 2 * RACERS);
    // Each append got a contiguous block of versions.
    const ends = won.map(({ result }) => result.nextVersion).sort((a, b) => a - b);
    expect(ends).toEqual(range(1, RACERS).map((i) => 1 + 2 * i));
  });

  it("lets 50 concurrent 'any' appends to a stream that does not exist yet all succeed: 'any' never conflicts", async () => {
    const streamId = 'race-any-new';

    const { won, lost } = await race(streamId, 'any', 1);

    expect(conflictCodes(lost)).toEqual([]);
    expect(won).toHaveLength(RACERS);
    expect(await versionsOf(streamId)).toEqual(range(1, RACERS));
  });

  it("numbers 50 concurrent 'stream_exists' appends without gaps or duplicates (all succeed)", async () => {
    const streamId = 'race-exists';
    await fx.store.append(appendInput(streamId, 'no_stream', 1));

    const { won, lost } = await race(streamId, 'stream_exists', 1);

    expect(lost).toEqual([]);
    expect(won).toHaveLength(RACERS);
    expect(await versionsOf(streamId)).toEqual(range(1, 1 + RACERS));
  });

  describe('expected versions', () => {
    it('appends when the stream is at the exact expected version, numbering from it', async () => {
      const streamId = 'exact-ok';
      const first = await fx.store.append(appendInput(streamId, 0, 2));
      const second = await fx.store.append(appendInput(streamId, 2, 3));

      expect(first.nextVersion).toBe(2);
      expect(second.nextVersion).toBe(5);
      expect(second.events.map((event) => event.version)).toEqual([3, 4, 5]);
      expect(await versionsOf(streamId)).toEqual([1, 2, 3, 4, 5]);
    });

    it('rejects a stale or future exact version with store.conflict naming the actual version, writing nothing', async () => {
      const streamId = 'exact-stale';
      await fx.store.append(appendInput(streamId, 'no_stream', 3));

      for (const expected of [0, 1, 2, 4]) {
        const error = await fx.store.append(appendInput(streamId, expected)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TributaryError);
        expect((error as TributaryError).code).toBe('store.conflict');
        if (expected !== 0) expect((error as TributaryError).details).toMatchObject({ actual: 3 });
      }
      expect(await versionsOf(streamId)).toEqual([1, 2, 3]);
      expect(await outboxIdsOf(streamId)).toHaveLength(3);
    });

    it("rejects 'no_stream' on an existing stream with store.conflict", async () => {
      const streamId = 'no-stream-existing';
      await fx.store.append(appendInput(streamId, 'no_stream'));

      expect(await errorCodeOf(fx.store.append(appendInput(streamId, 'no_stream')))).toBe('store.conflict');
      expect(await versionsOf(streamId)).toEqual([1]);
    });

    it("rejects 'stream_exists' on a missing stream with store.conflict and does not create it", async () => {
      const streamId = 'exists-missing';

      expect(await errorCodeOf(fx.store.append(appendInput(streamId, 'stream_exists')))).toBe(
        'store.conflict',
      );
      expect(await streamVersion(streamId)).toBeUndefined();
      expect(await versionsOf(streamId)).toEqual([]);
    });

    it("appends with 'stream_exists' to an existing stream", async () => {
      const streamId = 'exists-ok';
      await fx.store.append(appendInput(streamId, 'no_stream', 2));

      const result = await fx.store.append(appendInput(streamId, 'stream_exists', 1));

      expect(result.nextVersion).toBe(3);
      expect(await versionsOf(streamId)).toEqual([1, 2, 3]);
    });

    it("appends with 'any' whether or not the stream exists", async () => {
      const streamId = 'any-ok';

      const created = await fx.store.append(appendInput(streamId, 'any', 2));
      const extended = await fx.store.append(appendInput(streamId, 'any', 1));

      expect(created.nextVersion).toBe(2);
      expect(extended.nextVersion).toBe(3);
      expect(await versionsOf(streamId)).toEqual([1, 2, 3]);
    });

    it('rejects an append without events or with a negative expected version as input.invalid', async () => {
      expect(await errorCodeOf(fx.store.append(appendInput('bad-input', 'any', [])))).toBe('input.invalid');
      expect(await errorCodeOf(fx.store.append(appendInput('bad-input', -1)))).toBe('input.invalid');
      expect(await streamVersion('bad-input')).toBeUndefined();
    });
  });

  describe('appendMany', () => {
    it('writes to several streams in one transaction', async () => {
      const results: AppendResult[] = await fx.store.appendMany([
        appendInput('many-ok-1', 'no_stream', 2),
        appendInput('many-ok-2', 'no_stream', 1),
      ]);

      expect(results.map((result) => result.nextVersion)).toEqual([2, 1]);
      const transactionIds = new Set(results.flatMap((result) => result.events.map((e) => e.transactionId)));
      expect(transactionIds.size).toBe(1);
    });

    it('is all or nothing: a conflict on the second stream leaves the first stream and the outbox unchanged', async () => {
      await fx.store.append(appendInput('many-1', 'no_stream', 1));
      await fx.store.append(appendInput('many-2', 'no_stream', 2));
      const outboxBefore = await fx.pool.query('select id from outbox');

      const attempt = fx.store.appendMany([
        appendInput('many-1', 1, 2), // would succeed on its own
        appendInput('many-2', 1, 1), // stale: many-2 is at 2
      ]);

      expect(await errorCodeOf(attempt)).toBe('store.conflict');
      expect(await versionsOf('many-1')).toEqual([1]);
      expect(await streamVersion('many-1')).toBe(1);
      expect(await versionsOf('many-2')).toEqual([1, 2]);
      expect((await fx.pool.query('select id from outbox')).rowCount).toBe(outboxBefore.rowCount);
    });

    it('is all or nothing for a new stream too: a conflict after creating it leaves no stream behind', async () => {
      await fx.store.append(appendInput('many-existing', 'no_stream', 1));

      const attempt = fx.store.appendMany([
        appendInput('many-new', 'no_stream', 1),
        appendInput('many-existing', 'no_stream', 1),
      ]);

      expect(await errorCodeOf(attempt)).toBe('store.conflict');
      expect(await streamVersion('many-new')).toBeUndefined();
      expect(await versionsOf('many-new')).toEqual([]);
      expect(await outboxIdsOf('many-new')).toEqual([]);
    });
  });
});
