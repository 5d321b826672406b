import { randomUUID } from 'node:crypto';
import { appendInput } from '../../test/fixtures/events';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import { Executor, pgExecutor } from '../db/executor';
import { TributaryError } from '../errors';
import { createGroupLoader, READ_STATES_SQL } from './group-load';
import { loadState, type Loaded, type Reducer } from './load';
import { READ_STATE_SQL } from './read-state';
import type { StoredEvent } from './types';

/**
 * Grouped loads: loads of current state that arrive while one is being read go as one statement. Each must
 * give exactly what `loadState` alone gives, whatever its stream holds (snapshots of its own reducer version,
 * none, or no stream at all).
 */
describe('grouped loads of current state', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename);
  });
  afterAll(() => fx.close());

  /** Sums the `n` of the events after the snapshot; `snapshotVersion` names it. */
  const summing = (snapshotVersion: number): Reducer<{ sum: number; seen: number }> => ({
    initialState: () => ({ sum: 0, seen: 0 }),
    evolve: (state, event: StoredEvent) => ({
      sum: state.sum + (event.data as { n: number }).n,
      seen: state.seen + 1,
    }),
    snapshotVersion,
  });

  function recording(): Executor & { sent: string[] } {
    const executor = pgExecutor(fx.pool);
    const sent: string[] = [];
    return {
      sent,
      query: (sql, params) => {
        sent.push(sql === READ_STATES_SQL ? 'group' : sql === READ_STATE_SQL ? 'single' : sql);
        return executor.query(sql, params);
      },
    };
  }

  /** A stream of `events` events, with a snapshot at `snapshotAt` built by reducer version `snapshotVersion`. */
  async function streamOf(events: number, snapshotAt?: number, snapshotVersion = 1): Promise<string> {
    const id = `thing-${randomUUID()}`;
    if (events > 0) await fx.store.append(appendInput(id, 'no_stream', events));
    if (snapshotAt !== undefined) {
      await fx.store.writeSnapshot(id, snapshotVersion, {
        version: snapshotAt,
        state: { sum: 1000, seen: 0 }, // not what folding gives: shows whether the snapshot was used
        maxOccurredAt: new Date().toISOString(),
      });
    }
    return id;
  }

  it('answers concurrent loads with one statement, each as loadState alone would', async () => {
    const streams = await Promise.all([
      streamOf(5),
      streamOf(12, 10),
      streamOf(12, 10, 2), // a snapshot of another reducer version: ignored by version 1, used by version 2
      streamOf(0),
      streamOf(3, 3),
    ]);
    const requests: Array<[string, Reducer<{ sum: number; seen: number }>]> = [
      ['filler', summing(1)],
      [streams[0]!, summing(1)],
      [streams[1]!, summing(1)],
      [streams[2]!, summing(1)],
      [streams[2]!, summing(2)],
      [streams[3]!, summing(1)],
      [streams[4]!, summing(1)],
      [streams[0]!, summing(1)], // the same stream twice in one group
    ];
    const executor = recording();
    const loader = createGroupLoader(executor, fx.store.upcast, 64);
    const grouped = await Promise.all(requests.map(([id, reducer]) => loader.load(id, reducer)));
    expect(executor.sent).toEqual(['single', 'group']);

    const alone = await Promise.all(
      requests.map(([id, reducer]) => loadState(pgExecutor(fx.pool), fx.store.upcast, id, reducer)),
    );
    expect(grouped).toEqual(alone);
    const summary = (loaded: Loaded<{ sum: number; seen: number }>) => [loaded.version, loaded.state];
    expect(grouped.slice(1).map(summary)).toEqual([
      [5, { sum: 10, seen: 5 }],
      [12, { sum: 1021, seen: 2 }], // snapshot at 10, then n = 10 and 11
      [12, { sum: 66, seen: 12 }],
      [12, { sum: 1021, seen: 2 }],
      [0, { sum: 0, seen: 0 }],
      [3, { sum: 1000, seen: 0 }],
      [5, { sum: 10, seen: 5 }],
    ]);
  });

  it('fails only the load whose events its reducer cannot fold', async () => {
    const [good, bad] = await Promise.all([streamOf(2), streamOf(2)]);
    const refusing: Reducer<number> = {
      initialState: () => 0,
      evolve: () => {
        throw new Error('cannot fold this event');
      },
      snapshotVersion: 1,
    };
    const loader = createGroupLoader(recording(), fx.store.upcast, 64);
    const settled = await Promise.allSettled([
      loader.load(good, summing(1)), // in flight
      loader.load(good, summing(1)),
      loader.load(bad, refusing),
      loader.load(good, summing(1)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[2] as PromiseRejectedResult).reason as TributaryError).message).toBe(
      'cannot fold this event',
    );
  });

  it('through the store, groups only loads of current state', async () => {
    const id = await streamOf(4);
    const reducer = summing(1);
    const [current, asOfVersion] = await Promise.all([
      fx.store.load(id, reducer),
      fx.store.load(id, reducer, { toVersion: 2 }),
    ]);
    expect(current.version).toBe(4);
    expect(asOfVersion).toMatchObject({ version: 2, state: { sum: 1, seen: 2 } });
  });
});
