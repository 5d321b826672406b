import { appendInput, testEvents } from '../../test/fixtures/events';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import { pgExecutor } from '../db/executor';
import { listStreams } from './list-streams';
import { readStreams } from './read-streams';
import { streamsChangedSince } from './streams-changed-since';
import { transactionSnapshot } from './transaction-snapshot';
import { upcaster } from './upcast';

/**
 * The reads a copier of the whole store uses (e.g. a read-model rebuild): streams of a type page by page,
 * the events of many streams at once, and which streams changed while it copied.
 */
describe('reading the store stream by stream', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename);
  });
  afterAll(() => fx.close());

  const noUpcast = upcaster({}, {});

  it("returns each stream's events in version order, streams in id order, upcast to the current version", async () => {
    await fx.store.append(appendInput('rs-b', 'no_stream', 2));
    await fx.store.append(appendInput('rs-a', 'no_stream', 3));
    const toV2 = upcaster(
      { ThingHappened: { 1: (data) => ({ ...(data as object), upcast: true }) } },
      {
        ThingHappened: 2,
      },
    );

    const events = await readStreams(pgExecutor(fx.pool), toV2, ['rs-b', 'rs-a', 'rs-none']);

    expect(events.map((event) => [event.streamId, event.version])).toEqual([
      ['rs-a', 1],
      ['rs-a', 2],
      ['rs-a', 3],
      ['rs-b', 1],
      ['rs-b', 2],
    ]);
    expect(events.every((event) => event.schemaVersion === 2)).toBe(true);
    expect(events[0]!.data).toEqual({ n: 0, upcast: true });
  });

  it('reads nothing for no streams', async () => {
    expect(await readStreams(pgExecutor(fx.pool), noUpcast, [])).toEqual([]);
  });

  it('lists the streams of one type only, in id order, a page at a time', async () => {
    for (const id of ['ls-3', 'ls-1', 'ls-2']) {
      await fx.store.append({ ...appendInput(id, 'no_stream', 1), streamType: 'listed' });
    }
    await fx.store.append({ ...appendInput('ls-0', 'no_stream', 1), streamType: 'other' });
    const executor = pgExecutor(fx.pool);

    expect(await listStreams(executor, 'listed', '', 2)).toEqual(['ls-1', 'ls-2']);
    expect(await listStreams(executor, 'listed', 'ls-2', 2)).toEqual(['ls-3']);
    expect(await listStreams(executor, 'listed', 'ls-3', 2)).toEqual([]);
  });

  it('names the streams changed since a snapshot, those in flight when it was taken included, and no others', async () => {
    const executor = pgExecutor(fx.pool);
    await fx.store.append({ ...appendInput('cs-before', 'no_stream', 1), streamType: 'changing' });
    const inFlight = await fx.env.pg();
    try {
      await inFlight.query('begin');
      await fx.store.append(
        { ...appendInput('cs-in-flight', 'no_stream', 1), streamType: 'changing' },
        { executor: pgExecutor(inFlight) },
      );
      const snapshot = await transactionSnapshot(executor);
      await fx.store.append({
        ...appendInput('cs-after', 'no_stream', testEvents(2)),
        streamType: 'changing',
      });
      await fx.store.append({ ...appendInput('cs-other-type', 'no_stream', 1), streamType: 'unrelated' });
      await inFlight.query('commit');

      expect(snapshot).toMatch(/^\d+:\d+:/);
      expect((await streamsChangedSince(executor, snapshot, 'changing')).sort()).toEqual([
        'cs-after',
        'cs-in-flight',
      ]);
      expect(await streamsChangedSince(executor, await transactionSnapshot(executor), 'changing')).toEqual(
        [],
      );
    } finally {
      await inFlight.end();
    }
  });
});
