import { randomUUID } from 'node:crypto';
import { errorCodeOf } from '../../test/fixtures/events';
import { createOrder, customer, line, randomOrderCommand } from '../../test/fixtures/orders';
import { between, seededRandom } from '../../test/fixtures/random';
import { openStoreFixture, StoreFixture } from '../../test/fixtures/store';
import type { OrderCommand } from '../domain/orders/commands';
import type { OrderView } from '../domain/orders/view';
import type { EventStore } from '../eventstore';
import { TributaryError } from '../errors';
import { pgExecutor } from '../db/executor';
import { reducerOf } from './handle';
import { deleteExpiredKeys } from './idempotency';
import { createOrderService, orders } from './order-service';
import type { AsOf, OrderService } from './types';

/**
 * The command side over the real PostgreSQL, with a snapshot every 3 events so that most reads start from a
 * snapshot. The reference for every read is the same loader with snapshots switched off.
 */
describe('the order service', () => {
  let fx: StoreFixture;
  let service: OrderService;
  const reducer = reducerOf(orders);

  beforeAll(async () => {
    fx = await openStoreFixture(__filename, {
      poolSize: 12,
      settings: { SNAPSHOT_EVERY: '3', OUTBOX_MODE: 'table' },
    });
    service = createOrderService(fx.config, fx.store);
  });
  afterAll(() => fx.close());

  const iso = (ms: number) => new Date(ms).toISOString();

  /** The order as of a point, replayed from its first event without any snapshot. */
  async function replayed(orderId: string, asOf?: AsOf): Promise<OrderView | undefined> {
    const loaded = await fx.store.load(orders.streamId(orderId), reducer, {
      useSnapshots: false,
      ...(asOf === undefined ? {} : 'at' in asOf ? { asOf: asOf.at } : { toVersion: asOf.version }),
    });
    return orders.view(loaded.state);
  }

  async function eventCount(orderId: string): Promise<number> {
    const { rows } = await fx.pool.query<{ n: number }>(
      'select count(*)::int as n from events where stream_id = $1',
      [orders.streamId(orderId)],
    );
    return rows[0]!.n;
  }

  /** Every version 0..n, and business times around every event, read both ways. */
  async function expectSnapshotsChangeNothing(orderId: string): Promise<void> {
    const events = await fx.store.readStream(orders.streamId(orderId));
    for (let version = 0; version <= events.length; version++) {
      expect({ version, view: await service.getOrder(orderId, { version }) }).toEqual({
        version,
        view: await replayed(orderId, { version }),
      });
    }
    const times = new Set<number>([0, Date.parse('2100-01-01T00:00:00Z')]);
    for (const event of events) {
      const t = Date.parse(event.occurredAt);
      for (const near of [t - 1, t, t + 1]) times.add(near);
    }
    for (const t of times) {
      const at = new Date(t);
      expect({ at: iso(t), view: await service.getOrder(orderId, { at }) }).toEqual({
        at: iso(t),
        view: await replayed(orderId, { at }),
      });
    }
    expect(await service.getOrder(orderId)).toEqual(await replayed(orderId));
  }

  it('answers "as of" a time or a version with the order as it was then', async () => {
    const id = 'asof-1';
    const [t1, t2, t3] = [
      Date.parse('2025-03-01T10:00:00Z'),
      Date.parse('2025-03-01T11:00:00Z'),
      Date.parse('2025-03-01T12:00:00Z'),
    ] as const;
    await service.executeOrder(createOrder(id, iso(t1), [line('sku-a', 1, 250)]));
    await service.executeOrder({
      type: 'AddOrderLine',
      orderId: id,
      line: line('sku-b', 2, 100),
      at: iso(t2),
    });
    await service.executeOrder({ type: 'ConfirmOrder', orderId: id, at: iso(t3) });
    // The third event crossed SNAPSHOT_EVERY: a snapshot at version 3 exists and must not leak into the past.
    const snapshots = await fx.pool.query('select stream_version from snapshots where stream_id = $1', [
      orders.streamId(id),
    ]);
    expect(snapshots.rows).toEqual([{ stream_version: '3' }]);

    const created = { status: 'pending', version: 1, totalAmount: 250, confirmedAt: null };
    const added = { status: 'pending', version: 2, totalAmount: 450, confirmedAt: null };
    const confirmed = { status: 'confirmed', version: 3, totalAmount: 450, confirmedAt: iso(t3) };
    const at = (ms: number) => service.getOrder(id, { at: new Date(ms) });

    expect(await at(t1 - 1)).toBeUndefined();
    expect(await at(t1)).toMatchObject({ ...created, lines: [expect.objectContaining({ sku: 'sku-a' })] });
    expect(await at(t1 + 30 * 60_000)).toMatchObject(created);
    expect(await at(t2)).toMatchObject({ ...added, lines: [{ sku: 'sku-a' }, { sku: 'sku-b' }] });
    expect(await at(t3 - 1)).toMatchObject(added);
    expect(await at(t3)).toMatchObject(confirmed);

    expect(await service.getOrder(id, { version: 0 })).toBeUndefined();
    expect(await service.getOrder(id, { version: 1 })).toMatchObject(created);
    expect(await service.getOrder(id, { version: 2 })).toMatchObject(added);
    expect(await service.getOrder(id, { version: 3 })).toMatchObject(confirmed);
    expect(await service.getOrder(id, { version: 4 })).toBeUndefined(); // a version not reached yet
    expect(await service.getOrder(id)).toMatchObject(confirmed);
    expect(await service.getOrder('no-such-order')).toBeUndefined();
    expect(await service.history('no-such-order')).toEqual([]);
  });

  it('gives the same answer with snapshots as without, for every version and time of randomized orders (seeded)', async () => {
    const ORDERS = 20;
    const COMMANDS = 40;
    const base = Date.parse('2025-01-01T00:00:00Z');
    let rejected = 0;

    await Promise.all(
      Array.from({ length: ORDERS }, async (_, o) => {
        const random = seededRandom(7_919 * (o + 1));
        const orderId = `rand-${o}`;
        const createdMs = base + o * 86_400_000;
        let last: OrderView | undefined;
        for (let c = 0; c < COMMANDS; c++) {
          // Business time mostly moves on, but some commands are backdated (never before the order existed).
          const backdateMs = random() < 0.2 ? between(random, 0, 150_000) : 0;
          const at = iso(Math.max(createdMs, createdMs + c * 60_000 - backdateMs));
          const command: OrderCommand =
            c === 0 ? createOrder(orderId, at) : randomOrderCommand(random, orderId, at);
          try {
            last = (await service.executeOrder(command)).view;
          } catch (error) {
            if (!(error instanceof TributaryError) || !error.code.startsWith('domain.')) throw error;
            rejected++;
          }
        }
        expect(await service.getOrder(orderId)).toEqual(last);
      }),
    );

    const { rows: snapshots } = await fx.pool.query<{ stream_version: string }>(
      "select stream_version from snapshots where stream_id like 'order-rand-%'",
    );
    expect(snapshots.length).toBeGreaterThan(ORDERS);
    expect(snapshots.every((row) => Number(row.stream_version) % 3 === 0)).toBe(true);
    expect(rejected).toBeGreaterThan(ORDERS);

    const counts = await Promise.all(
      Array.from({ length: ORDERS }, async (_, o) => {
        const orderId = `rand-${o}`;
        await expectSnapshotsChangeNothing(orderId);
        const count = await eventCount(orderId);
        // The snapshot path is really taken: a current load reads only the events after the latest snapshot.
        const loaded = await fx.store.load(orders.streamId(orderId), reducer);
        expect(loaded.version).toBe(count);
        expect(loaded.eventsRead).toBe(count % 3);
        return count;
      }),
    );
    const eventsTotal = counts.reduce((a, b) => a + b, 0);
    expect(eventsTotal).toBeGreaterThan(ORDERS * 5);
  });

  it('ignores snapshots built by another reducer version, whatever they contain', async () => {
    const id = 'bogus-1';
    const t0 = Date.parse('2025-04-01T08:00:00Z');
    await service.executeOrder(createOrder(id, iso(t0)));
    for (const [i, sku] of ['sku-b', 'sku-c', 'sku-d', 'sku-e'].entries()) {
      await service.executeOrder({
        type: 'AddOrderLine',
        orderId: id,
        line: line(sku),
        at: iso(t0 + i * 1000),
      });
    }
    const streamId = orders.streamId(id);
    // An old reducer's snapshots (snapshot_version 0) and a future one's, at, after and beyond the end.
    const future = orders.snapshotVersion + 1;
    for (const [version, snapshotVersion, state] of [
      [4, 0, { garbage: true }],
      [5, 0, 'nonsense'],
      [5_000, 0, { status: 'cancelled', version: 5_000 }],
      [2, future, { status: 'confirmed', id, version: 2 }],
    ] as const) {
      await fx.pool.query(
        `insert into snapshots (stream_id, stream_version, snapshot_version, state, max_occurred_at)
         values ($1, $2, $3, $4, '1970-01-01T00:00:00Z')
         on conflict (stream_id, stream_version) do update
           set snapshot_version = excluded.snapshot_version, state = excluded.state,
               max_occurred_at = excluded.max_occurred_at`,
        [streamId, version, snapshotVersion, JSON.stringify(state)],
      );
    }

    await expectSnapshotsChangeNothing(id);
    expect(await service.getOrder(id)).toMatchObject({ status: 'pending', version: 5 });
    // The current reducer's snapshot at 3 is still used.
    expect((await fx.store.load(streamId, reducer)).eventsRead).toBe(2);
  });

  it('loads an OrderCreated stored at schema version 1 (no salesChannel) as a web order, and keeps it as stored', async () => {
    const id = 'legacy-1';
    const streamId = orders.streamId(id);
    const v1 = {
      orderId: id,
      customer,
      lines: [line('sku-a', 2, 300)],
      currency: 'EUR',
      createdAt: '2019-05-01T09:00:00.000Z',
    };
    const eventId = randomUUID();
    await fx.store.transaction(async (executor) => {
      await executor.query(`insert into streams (stream_id, stream_type, version) values ($1, 'order', 1)`, [
        streamId,
      ]);
      await executor.query(
        `insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                             occurred_at)
         values ($1, 'order', 1, $2, 'OrderCreated', 1, $3, $4)`,
        [streamId, eventId, JSON.stringify(v1), v1.createdAt],
      );
    });

    expect(await service.getOrder(id)).toMatchObject({
      id,
      status: 'pending',
      salesChannel: 'web',
      totalAmount: 600,
      version: 1,
    });
    expect(await service.history(id)).toEqual([
      expect.objectContaining({
        eventId,
        version: 1,
        type: 'OrderCreated',
        schemaVersion: 2,
        data: { ...v1, salesChannel: 'web' },
      }),
    ]);

    // Commands decide on the upcast state; the old row is never rewritten.
    const added = await service.executeOrder({
      type: 'AddOrderLine',
      orderId: id,
      line: line('sku-b'),
      at: '2019-05-02T09:00:00.000Z',
    });
    expect(added.view).toMatchObject({ salesChannel: 'web', version: 2, totalAmount: 850 });
    expect(await service.getOrder(id, { version: 1 })).toMatchObject({ salesChannel: 'web', version: 1 });
    const stored = await fx.pool.query('select schema_version, data from events where event_id = $1', [
      eventId,
    ]);
    expect(stored.rows).toEqual([{ schema_version: 1, data: v1 }]);
  });

  describe('idempotency keys', () => {
    it('returns the first result with replayed=true and appends nothing when a request is repeated with its key', async () => {
      const id = 'idem-1';
      const first = await service.executeOrder(createOrder(id, '2025-05-01T10:00:00Z'), {
        idempotencyKey: 'idem-1-create',
      });
      expect(first.replayed).toBe(false);

      // A retry of the same request gets a new server time; it is still the same request.
      const again = await service.executeOrder(createOrder(id, '2025-05-01T10:00:05Z'), {
        idempotencyKey: 'idem-1-create',
      });
      expect(again).toEqual({ ...first, replayed: true });

      const add = {
        type: 'AddOrderLine',
        orderId: id,
        line: line('sku-b'),
        at: '2025-05-01T10:01:00Z',
      } as const;
      const added = await service.executeOrder(add, { idempotencyKey: 'idem-1-add' });
      const addedAgain = await service.executeOrder(add, { idempotencyKey: 'idem-1-add' });
      expect(addedAgain).toEqual({ ...added, replayed: true });
      expect(await eventCount(id)).toBe(2);
    });

    it('rejects the same key with a different request as input.key_reused, appending nothing', async () => {
      const id = 'idem-2';
      await service.executeOrder(createOrder(id, '2025-05-02T10:00:00Z'), { idempotencyKey: 'idem-2-key' });

      const other = {
        type: 'AddOrderLine',
        orderId: id,
        line: line('sku-c'),
        at: '2025-05-02T10:01:00Z',
      } as const;
      expect(await errorCodeOf(service.executeOrder(other, { idempotencyKey: 'idem-2-key' }))).toBe(
        'input.key_reused',
      );
      // Same command shape for another order is another request too.
      expect(
        await errorCodeOf(
          service.executeOrder(createOrder('idem-2-other', '2025-05-02T10:00:00Z'), {
            idempotencyKey: 'idem-2-key',
          }),
        ),
      ).toBe('input.key_reused');
      expect(await eventCount(id)).toBe(1);
      expect(await eventCount('idem-2-other')).toBe(0);
    });

    it('appends once when the same request races itself with one key', async () => {
      for (let round = 0; round < 5; round++) {
        const id = `idem-3-${round}`;
        await service.executeOrder(createOrder(id, '2025-05-03T10:00:00Z'));
        const add = {
          type: 'AddOrderLine',
          orderId: id,
          line: line('sku-d'),
          at: '2025-05-03T10:01:00Z',
        } as const;

        const results = await Promise.all(
          Array.from({ length: 8 }, () => service.executeOrder(add, { idempotencyKey: `${id}-add` })),
        );

        expect(results.filter((result) => !result.replayed)).toHaveLength(1);
        expect(new Set(results.map((result) => result.version))).toEqual(new Set([2]));
        expect(await eventCount(id)).toBe(2);
      }
    });

    it('creates an order once when its creation races itself with one key', async () => {
      for (let round = 0; round < 5; round++) {
        const id = `idem-4-${round}`;
        const create = createOrder(id, '2025-05-04T10:00:00Z');

        const results = await Promise.all(
          Array.from({ length: 8 }, () => service.executeOrder(create, { idempotencyKey: `${id}-create` })),
        );

        expect(results.filter((result) => !result.replayed)).toHaveLength(1);
        expect(new Set(results.map((result) => result.version))).toEqual(new Set([1]));
        expect(await eventCount(id)).toBe(1);
      }
    });

    it('lets only one of two different requests racing with the same key through; the other gets input.key_reused and leaves no events', async () => {
      const settled = await Promise.allSettled(
        ['idem-5a', 'idem-5b'].map((orderId) =>
          service.executeOrder(createOrder(orderId, '2025-05-05T10:00:00Z'), {
            idempotencyKey: 'idem-5-key',
          }),
        ),
      );

      expect(settled.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const rejected = settled.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect((rejected.reason as TributaryError).code).toBe('input.key_reused');
      expect((await eventCount('idem-5a')) + (await eventCount('idem-5b'))).toBe(1);
    });

    it('replays a retried If-Match request with its key even though the stream has moved past the version it expected', async () => {
      const id = 'idem-6';
      await service.executeOrder(createOrder(id, '2025-05-06T10:00:00Z'));
      const add = {
        type: 'AddOrderLine',
        orderId: id,
        line: line('sku-b'),
        at: '2025-05-06T10:01:00Z',
      } as const;
      const options = { idempotencyKey: 'idem-6-add', expectedVersion: 1 };

      const first = await service.executeOrder(add, options);
      const retry = await service.executeOrder(add, options);

      expect(first.version).toBe(2);
      expect(retry).toEqual({ ...first, replayed: true });
      expect(await eventCount(id)).toBe(2);
    });

    it('scopes a key by principal and route: the same key elsewhere is another key', async () => {
      const scoped = (principal: string, route: string) => ({
        idempotencyKey: 'idem-7-key',
        idempotencyScope: { principal, route },
      });
      const alice = await service.executeOrder(
        createOrder('idem-7a', '2025-05-07T10:00:00Z'),
        scoped('user-a', 'POST /orders'),
      );
      const bob = await service.executeOrder(
        createOrder('idem-7b', '2025-05-07T10:00:00Z'),
        scoped('user-b', 'POST /orders'),
      );
      expect([alice.replayed, bob.replayed]).toEqual([false, false]);
      expect(
        await errorCodeOf(
          service.executeOrder(
            createOrder('idem-7c', '2025-05-07T10:00:00Z'),
            scoped('user-a', 'POST /orders'),
          ),
        ),
      ).toBe('input.key_reused');
      const retry = await service.executeOrder(
        createOrder('idem-7b', '2025-05-07T10:00:00Z'),
        scoped('user-b', 'POST /orders'),
      );
      expect(retry).toEqual({ ...bob, replayed: true });
      expect(await eventCount('idem-7c')).toBe(0);
    });

    it('forgets a key after its TTL: the key takes a new request, and the cleanup deletes expired keys', async () => {
      const shortLived = createOrderService({ ...fx.config, idempotencyKeyTtlMs: 1_000 }, fx.store);
      const options = {
        idempotencyKey: 'idem-8-key',
        idempotencyScope: { principal: 'user-8', route: 'POST /orders' },
      };
      await shortLived.executeOrder(createOrder('idem-8a', '2025-05-08T10:00:00Z'), options);
      await fx.pool.query(
        `update idempotency_keys set created_at = now() - interval '2 seconds' where key = 'idem-8-key'`,
      );
      const reused = await shortLived.executeOrder(createOrder('idem-8b', '2025-05-08T10:00:00Z'), options);
      expect(reused.replayed).toBe(false);
      expect(await eventCount('idem-8b')).toBe(1);

      await fx.pool.query(
        `update idempotency_keys set created_at = now() - interval '2 seconds' where key = 'idem-8-key'`,
      );
      expect(await deleteExpiredKeys(pgExecutor(fx.pool), 1_000)).toBeGreaterThanOrEqual(1);
      const { rows } = await fx.pool.query(`select 1 from idempotency_keys where key = 'idem-8-key'`);
      expect(rows).toHaveLength(0);
    });
  });

  describe('If-Match (expectedVersion)', () => {
    it('rejects a command against a stale version with store.conflict and appends nothing', async () => {
      const id = 'if-match-1';
      await service.executeOrder(createOrder(id, '2025-06-01T10:00:00Z'));
      await service.executeOrder({
        type: 'AddOrderLine',
        orderId: id,
        line: line('sku-b'),
        at: '2025-06-01T10:01:00Z',
      });
      const confirm = { type: 'ConfirmOrder', orderId: id, at: '2025-06-01T10:02:00Z' } as const;

      expect(await errorCodeOf(service.executeOrder(confirm, { expectedVersion: 1 }))).toBe('store.conflict');
      expect(await eventCount(id)).toBe(2);

      const result = await service.executeOrder(confirm, { expectedVersion: 2 });
      expect(result.version).toBe(3);
      expect(result.view.status).toBe('confirmed');
    });

    it('lets exactly one of several concurrent commands expecting the same version win; the others get store.conflict', async () => {
      const id = 'if-match-2';
      await service.executeOrder(createOrder(id, '2025-06-02T10:00:00Z'));
      const skus = ['sku-b', 'sku-c', 'sku-d', 'sku-e', 'sku-f'];

      const settled = await Promise.allSettled(
        skus.map((sku) =>
          service.executeOrder(
            { type: 'AddOrderLine', orderId: id, line: line(sku), at: '2025-06-02T10:01:00Z' },
            { expectedVersion: 1 },
          ),
        ),
      );

      expect(settled.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const codes = settled.flatMap((outcome) =>
        outcome.status === 'rejected' ? [(outcome.reason as TributaryError).code] : [],
      );
      expect(codes).toEqual(Array(skus.length - 1).fill('store.conflict'));
      expect(await eventCount(id)).toBe(2);
    });
  });

  describe('remembered states (COMMAND_CACHE_SIZE)', () => {
    /** A service as another process runs it: its own memory of streams, the same database. */
    function process_(cacheSize = 10_000): { service: OrderService; loads: () => number } {
      let loads = 0;
      const store: EventStore = {
        ...fx.store,
        load: ((...args: Parameters<EventStore['load']>) => {
          loads++;
          return fx.store.load(...args);
        }) as EventStore['load'],
      };
      return {
        service: createOrderService({ ...fx.config, commandCacheSize: cacheSize }, store),
        loads: () => loads,
      };
    }
    const at = (minute: number) => iso(Date.parse('2025-07-01T10:00:00Z') + minute * 60_000);
    const add = (orderId: string, sku: string, minute: number): OrderCommand => ({
      type: 'AddOrderLine',
      orderId,
      line: line(sku),
      at: at(minute),
    });

    it('decides on the state it wrote last without loading; a stream another process moved is loaded', async () => {
      const a = process_();
      const b = process_();
      const id = 'cache-1';
      await a.service.executeOrder(createOrder(id, at(0)));
      await a.service.executeOrder(add(id, 'sku-b', 1));
      await a.service.executeOrder(add(id, 'sku-c', 2));
      expect(a.loads()).toBe(0); // a new stream is guessed new, the others were remembered

      await b.service.executeOrder(add(id, 'sku-d', 3)); // unknown to b: guessed new, rejected, loaded
      expect(b.loads()).toBe(1);

      const result = await a.service.executeOrder(add(id, 'sku-e', 4)); // a's memory is one version behind
      expect(a.loads()).toBe(1);
      expect(result.version).toBe(5);
      expect(result.view.lines.map((l) => l.sku)).toEqual(['sku-a', 'sku-b', 'sku-c', 'sku-d', 'sku-e']);
      expect(result.view).toEqual(await replayed(id));
      expect(await eventCount(id)).toBe(5);
    });

    it('with COMMAND_CACHE_SIZE=0 loads every stream it writes, a new one too', async () => {
      const none = process_(0);
      const id = 'cache-0';
      await none.service.executeOrder(createOrder(id, at(0)));
      await none.service.executeOrder(add(id, 'sku-b', 1));
      expect(none.loads()).toBe(2);
      expect(await eventCount(id)).toBe(2);
    });

    it('never answers from a guess: a rule the guess breaks or an If-Match it lacks is checked on the stream', async () => {
      const a = process_();
      const b = process_();
      const id = 'cache-2';
      await a.service.executeOrder(createOrder(id, at(0)));
      await b.service.executeOrder(add(id, 'sku-x', 1));
      // In a's memory there is no line sku-x to remove; on the stream there is.
      const removed = await a.service.executeOrder({
        type: 'RemoveOrderLine',
        orderId: id,
        sku: 'sku-x',
        at: at(2),
      });
      expect(removed.version).toBe(3);
      expect(removed.view.lines.map((l) => l.sku)).toEqual(['sku-a']);

      await b.service.executeOrder(add(id, 'sku-y', 3)); // b's memory: version 2; the stream: 4
      const confirmed = await b.service.executeOrder(
        { type: 'ConfirmOrder', orderId: id, at: at(4) },
        { expectedVersion: 4 },
      );
      expect(confirmed.version).toBe(5);

      // a remembers version 3, not confirmed: adding a line is allowed there, not on the stream.
      expect(await errorCodeOf(a.service.executeOrder(add(id, 'sku-z', 5)))).toBe('domain.rule');
      expect(await eventCount(id)).toBe(5);
    });

    it('a creation guessed new for an order that exists fails as it does without a memory, appending nothing', async () => {
      const id = 'cache-3';
      await process_().service.executeOrder(createOrder(id, at(0)));
      const guessing = await errorCodeOf(process_().service.executeOrder(createOrder(id, at(1))));
      const loading = await errorCodeOf(process_(0).service.executeOrder(createOrder(id, at(1))));
      expect(guessing).toBe(loading);
      expect(guessing).not.toBe('ok');
      expect(await eventCount(id)).toBe(1);
    });

    it('gives the answers a service without memory gives, over randomized commands spread across three processes (seeded)', async () => {
      const ORDERS = 8;
      const COMMANDS = 30;
      const writers = [process_(), process_(), process_(2)]; // the last forgets almost everything
      const reference = process_(0);
      const outcome = async (run: Promise<{ version: number; view: OrderView }>) => {
        try {
          const { version, view } = await run;
          return { version, view: { ...view, id: '' } };
        } catch (error) {
          if (!(error instanceof TributaryError)) throw error;
          return { error: error.code };
        }
      };
      let moved = 0;
      await Promise.all(
        Array.from({ length: ORDERS }, async (_, o) => {
          const random = seededRandom(104_729 * (o + 1));
          const [id, ref] = [`cache-rand-${o}`, `cache-ref-${o}`];
          for (let c = 0; c < COMMANDS; c++) {
            const command = c === 0 ? createOrder(id, at(c)) : randomOrderCommand(random, id, at(c));
            const writer = writers[Math.floor(random() * writers.length)]!;
            const got = await outcome(writer.service.executeOrder(command));
            const expected = await outcome(reference.service.executeOrder({ ...command, orderId: ref }));
            expect({ c, ...got }).toEqual({ c, ...expected });
            if ('version' in got) moved++;
          }
          expect({ ...(await replayed(id))!, id: '' }).toEqual({ ...(await replayed(ref))!, id: '' });
        }),
      );
      expect(moved).toBeGreaterThan(ORDERS * 5);
      // Memory did save loads: fewer than one per command across the writers.
      const loads = writers.reduce((sum, w) => sum + w.loads(), 0);
      expect(loads).toBeLessThan(reference.loads());
    });
  });

  it('returns the whole history, oldest first, with the metadata each command carried', async () => {
    const id = 'hist-1';
    const created = {
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      actor: 'user:ada',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    const added = { correlationId: 'corr-1', causationId: 'cmd-2', actor: 'user:bob' };
    await service.executeOrder(createOrder(id, '2025-07-01T10:00:00.000Z'), { metadata: created });
    await service.executeOrder(
      { type: 'AddOrderLine', orderId: id, line: line('sku-b'), at: '2025-07-01T10:05:00.000Z' },
      { metadata: added },
    );
    await service.executeOrder({ type: 'ConfirmOrder', orderId: id, at: '2025-07-01T10:10:00.000Z' });

    const history = await service.history(id);

    expect(
      history.map(({ streamId, version, type, schemaVersion, metadata, occurredAt }) => ({
        streamId,
        version,
        type,
        schemaVersion,
        metadata,
        occurredAt,
      })),
    ).toEqual([
      {
        streamId: id,
        version: 1,
        type: 'OrderCreated',
        schemaVersion: 2,
        metadata: created,
        occurredAt: '2025-07-01T10:00:00.000Z',
      },
      {
        streamId: id,
        version: 2,
        type: 'OrderLineAdded',
        schemaVersion: 1,
        metadata: added,
        occurredAt: '2025-07-01T10:05:00.000Z',
      },
      {
        streamId: id,
        version: 3,
        type: 'OrderConfirmed',
        schemaVersion: 1,
        metadata: {},
        occurredAt: '2025-07-01T10:10:00.000Z',
      },
    ]);
    const positions = history.map((entry) => BigInt(entry.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(history[0]!.data).toMatchObject({ orderId: id, salesChannel: 'web' });

    // The outbox entries carry the same metadata (and business time) for the relay.
    const { rows } = await fx.pool.query<{ id: string; headers: Record<string, string> }>(
      'select id, headers from outbox where aggregate_id = $1 order by stream_version',
      [id],
    );
    expect(rows).toEqual([
      { id: history[0]!.eventId, headers: { ...created, occurredAt: '2025-07-01T10:00:00.000Z' } },
      { id: history[1]!.eventId, headers: { ...added, occurredAt: '2025-07-01T10:05:00.000Z' } },
      { id: history[2]!.eventId, headers: { occurredAt: '2025-07-01T10:10:00.000Z' } },
    ]);
  });
});
