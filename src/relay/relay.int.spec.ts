import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import {
  dropSlotWhenInactive,
  duplicatesOf,
  eventually,
  readUntilAll,
  relaySlotName,
  slotPosition,
  startRelay,
  toCloudEvent,
  TopicReader,
  type InProcessRelay,
  type Received,
  type StartRelayOptions,
  within,
} from '../../test/fixtures/relay';
import { sleep } from '../../test/fixtures/events';
import { createOrder, line } from '../../test/fixtures/orders';
import { startTcpProxy } from '../../test/fixtures/tcp-proxy';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import { createOrderService } from '../commands';
import type { Config } from '../config';
import { pgExecutor } from '../db/executor';
import type { OrderCommand } from '../domain/orders/commands';
import type { AppendInput, EventStore } from '../eventstore';
import { TributaryError } from '../errors';
import type { Publisher } from './publisher';
import { parseLsn } from './lsn';
import { terminateStaleReader } from './slot';

/**
 * The relay in-process (`runRelay` with an AbortController) against the real PostgreSQL and Kafka. Each test
 * runs its own relay on its own replication slot and topic prefix (both under this file's names), so what a
 * test reads from Kafka is exactly what its relay published.
 */
describe('the relay (outbox → logical replication → Kafka CloudEvents)', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { poolSize: 12 });
  });
  afterAll(() => fx.close());

  /** This file's settings for one test's relay: its own slot and topic prefix, no metrics port, 0.5 s heartbeats. */
  const relayConfig = (label: string, settings: Record<string, string> = {}): Config =>
    fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
      RELAY_METRICS_PORT: '0',
      RELAY_HEARTBEAT_MS: '500',
      RELAY_STANDBY_POLL_MS: '250',
      ...settings,
    });

  /** Runs `body` with a started relay; stops it and drops its slot afterwards, whatever happened. */
  async function withRelay(
    config: Config,
    body: (relay: InProcessRelay) => Promise<void>,
    options: StartRelayOptions = {},
  ): Promise<void> {
    const relay = startRelay(config, options);
    try {
      await relay.started();
      await body(relay);
    } finally {
      // Cleanup: the body asserts on what the relay did; a relay that already failed rejects here again.
      await relay.stop().catch(() => undefined);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  }

  /** `count` events of a made-up aggregate type, appended to `streamId` in one transaction. */
  const input = (streamType: string, streamId: string, count: number): AppendInput => ({
    streamId,
    streamType,
    expected: 'any',
    events: Array.from({ length: count }, (_, n) => ({
      eventId: randomUUID(),
      type: 'ThingHappened',
      schemaVersion: 1,
      data: { n },
    })),
  });
  const idsOf = (appended: AppendInput) => appended.events.map((event) => event.eventId!);

  interface EventRow {
    event_id: string;
    stream_id: string;
    stream_version: number;
    event_type: string;
    occurred_at: Date;
  }
  const eventsOfType = async (streamType: string) =>
    (
      await fx.pool.query<EventRow>(
        `select event_id, stream_id, stream_version::int as stream_version, event_type, occurred_at
         from events where stream_type = $1`,
        [streamType],
      )
    ).rows;

  /** Per message key, the records in Kafka order (one key lives in one partition). */
  function byKey(records: Received[]): Map<string, Received[]> {
    const keys = new Map<string, Received[]>();
    for (const record of [...records].sort(
      (a, b) => a.partition - b.partition || Number(a.offset - b.offset),
    )) {
      keys.set(record.key, [...(keys.get(record.key) ?? []), record]);
    }
    return keys;
  }

  describe('when nothing fails', () => {
    // The order script of each order: 6 commands, 6 events, versions 1..6.
    const script = (orderId: string, at: (step: number) => string): OrderCommand[] => [
      createOrder(orderId, at(0), [line('sku-a')]),
      { type: 'AddOrderLine', orderId, line: line('sku-b', 2), at: at(1) },
      { type: 'AddOrderLine', orderId, line: line('sku-c', 3), at: at(2) },
      { type: 'RemoveOrderLine', orderId, sku: 'sku-a', at: at(3) },
      { type: 'AddOrderLine', orderId, line: line('sku-d'), at: at(4) },
      { type: 'ConfirmOrder', orderId, at: at(5) },
    ];
    const expectedType: Record<string, string> = {
      OrderCreated: 'io.tributary.order.created.v2',
      OrderLineAdded: 'io.tributary.order.line.added.v1',
      OrderLineRemoved: 'io.tributary.order.line.removed.v1',
      OrderConfirmed: 'io.tributary.order.confirmed.v1',
    };

    it('delivers every event committed by concurrent writers exactly once, per aggregate in stream-version order, as valid CloudEvents', async () => {
      const config = relayConfig('a');
      const writers = 8;
      const ordersPerWriter = 42;
      await withRelay(config, async () => {
        const service = createOrderService(config, fx.store);
        const started = Date.now();
        const base = Date.UTC(2026, 0, 1);
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            const orders = Array.from({ length: ordersPerWriter }, (_, n) => {
              const orderId = `o-${writer}-${n}`;
              return script(orderId, (step) =>
                new Date(base + (writer * 1000 + n) * 60_000 + step).toISOString(),
              );
            });
            // Round-robin over the writer's orders, so transactions of many aggregates interleave.
            for (let step = 0; step < 6; step++) {
              for (const commands of orders) await service.executeOrder(commands[step]!);
            }
          }),
        );
        const writeMs = Date.now() - started;

        const rows = await eventsOfType('order');
        expect(rows).toHaveLength(writers * ordersPerWriter * 6);
        const records = await readUntilAll(
          fx.env.kafka(),
          [`${config.topicPrefix}order`],
          rows.map((row) => row.event_id),
        );
        console.log(
          `relay int: ${rows.length} events written by ${writers} writers in ${writeMs} ms, all on Kafka ${Date.now() - started} ms after the first write`,
        );

        // Exactly once: the ids on Kafka are the committed event ids, each once.
        expect([...duplicatesOf(records)]).toEqual([]);
        expect(records.map((record) => record.id).sort()).toEqual(rows.map((row) => row.event_id).sort());

        const rowById = new Map(rows.map((row) => [row.event_id, row]));
        const events = new Map<string, CloudEvent<unknown>>();
        for (const record of records) {
          const event = toCloudEvent(record);
          expect(event.validate()).toBe(true);
          const row = rowById.get(event.id)!;
          const orderId = row.stream_id.replace(/^order-/, '');
          expect({
            id: event.id,
            source: event.source,
            type: event.type,
            subject: event.subject,
            time: event.time,
            datacontenttype: event.datacontenttype,
            partitionkey: event.partitionkey,
            sequence: event.sequence,
            key: record.key,
          }).toEqual({
            id: row.event_id,
            source: `${config.cloudEventSource}/order`,
            type: expectedType[row.event_type],
            subject: orderId,
            time: row.occurred_at.toISOString(),
            datacontenttype: 'application/json',
            partitionkey: orderId,
            sequence: String(row.stream_version).padStart(20, '0'),
            key: orderId,
          });
          expect(event.data).toMatchObject({ state: { id: orderId, version: row.stream_version } });
          events.set(record.id, event);
        }

        // Per key: one partition, and the sequence on Kafka is the stream-version order 1, 2, 3, ...
        const keys = byKey(records);
        expect(keys.size).toBe(writers * ordersPerWriter);
        for (const [key, keyed] of keys) {
          expect(new Set(keyed.map((record) => record.partition)).size).toBe(1);
          const versions = keyed.map((record) => Number(events.get(record.id)!.sequence));
          expect({ key, versions }).toEqual({ key, versions: [1, 2, 3, 4, 5, 6] });
        }
      });
    });

    it('counts what it published in tributary_relay_events_published_total', async () => {
      const config = relayConfig('f');
      await withRelay(config, async (relay) => {
        const inputs = Array.from({ length: 30 }, (_, n) => input('metered', `m-${n % 7}`, 10));
        for (const batch of [inputs.slice(0, 15), inputs.slice(15)]) await fx.store.appendMany(batch);
        const ids = inputs.flatMap(idsOf);
        const records = await readUntilAll(fx.env.kafka(), [`${config.topicPrefix}metered`], ids);
        expect(new Set(records.map((record) => record.id))).toEqual(new Set(ids));

        const text = await relay.metrics.registry.metrics();
        const published = Number(/^tributary_relay_events_published_total (\d+)$/m.exec(text)?.[1]);
        expect(published).toBeGreaterThanOrEqual(ids.length);
        expect(text).toMatch(/^tributary_relay_batches_published_total [1-9]\d*$/m);
      });
    });

    it.each(['message', 'table-transient'])("relays outbox mode '%s' too", async (mode) => {
      const config = relayConfig(`c_${mode.replace(/-/g, '_')}`);
      const streamType = `mode_${mode.replace(/-/g, '_')}`;
      await withRelay(config, async () => {
        const store = fx.storeWith({ OUTBOX_MODE: mode });
        const inputs = Array.from({ length: 6 }, (_, n) =>
          input(streamType, `${streamType}-${n % 2}`, 1 + (n % 3)),
        );
        for (const appended of inputs) await store.append(appended);
        const ids = inputs.flatMap(idsOf);
        const records = await readUntilAll(fx.env.kafka(), [`${config.topicPrefix}${streamType}`], ids);

        expect(records.map((record) => record.id).sort()).toEqual([...ids].sort());
        for (const [key, keyed] of byKey(records)) {
          const versions = keyed.map((record) => Number(toCloudEvent(record).sequence));
          expect({ key, versions }).toEqual({ key, versions: versions.map((_, i) => i + 1) });
        }
        const left = await fx.pool.query(`select 1 from outbox where aggregate_type = $1`, [streamType]);
        expect(left.rowCount).toBe(0); // neither mode leaves rows behind
      });
    });
  });

  describe('transactions', () => {
    it('never publishes a rolled-back transaction, and publishes a transaction only after its commit', async () => {
      const config = relayConfig('b');
      const topic = `${config.topicPrefix}txn`;
      await withRelay(config, async () => {
        const store: EventStore = fx.store;
        const committed: string[] = [];
        const rolledBack: string[] = [];

        // Concurrent writers alternate committed and failed transactions.
        await Promise.all(
          Array.from({ length: 4 }, async (_, writer) => {
            for (let n = 0; n < 15; n++) {
              const ok = input('txn', `w${writer}-${n % 3}`, 2);
              await store.append(ok);
              committed.push(...idsOf(ok));

              const thrown = input('txn', `w${writer}-${n % 3}`, 2);
              rolledBack.push(...idsOf(thrown));
              await expect(
                store.transaction(async (executor) => {
                  await store.append(thrown, { executor });
                  throw new Error('the caller fails after the append');
                }),
              ).rejects.toThrow('the caller fails after the append');

              const conflicting = [
                input('txn', `w${writer}-x${n}`, 1),
                { ...input('txn', `w${writer}-0`, 1), expected: 0 },
              ];
              rolledBack.push(...conflicting.flatMap(idsOf));
              await expect(store.appendMany(conflicting)).rejects.toMatchObject({ code: 'store.conflict' });
            }
          }),
        );

        // A transaction held open for 2 s with its events appended, while other commits flow through.
        const reader = await TopicReader.open(fx.env.kafka(), [topic]);
        try {
          const client = await fx.pool.connect();
          const held = input('txn', 'held', 3);
          let commitSentAt = 0;
          try {
            await client.query('begin');
            await store.append(held, { executor: pgExecutor(client) });
            const during: string[] = [];
            const until = Date.now() + 2_000;
            while (Date.now() < until) {
              const other = input('txn', `during-${during.length % 4}`, 1);
              await store.append(other);
              during.push(...idsOf(other));
              await sleep(50);
            }
            // Everything committed while it was open has been published; the open transaction has not.
            expect(await reader.waitForIds(during, 30_000)).toBe(true);
            const early = idsOf(held).filter((id) => reader.ids().has(id));
            expect(early).toEqual([]);
            committed.push(...during);
            // From the moment COMMIT is sent: the consumer may see its events before the reply is handled.
            commitSentAt = Date.now();
            await client.query('commit');
            committed.push(...idsOf(held));
          } finally {
            client.release();
          }
          expect(await reader.waitForIds(committed, 60_000)).toBe(true);
          expect(await reader.drain()).toBe(true);
          const heldRecords = reader.received.filter((record) => idsOf(held).includes(record.id));
          expect(heldRecords).toHaveLength(3);
          for (const record of heldRecords) expect(record.receivedAt).toBeGreaterThanOrEqual(commitSentAt);

          const published = reader.ids();
          expect(rolledBack.filter((id) => published.has(id))).toEqual([]);
          expect([...published].sort()).toEqual([...committed].sort());
          expect([...duplicatesOf(reader.received)]).toEqual([]);
          // The failed transactions really were rolled back: the store has none of their events either.
          const stored = await fx.pool.query(`select 1 from events where event_id = any($1::uuid[])`, [
            rolledBack,
          ]);
          expect(stored.rowCount).toBe(0);
        } finally {
          await reader.close();
        }
      });
    });
  });

  describe('an idle slot', () => {
    it('keeps advancing restart_lsn and confirmed_flush_lsn while only unrelated tables are written', async () => {
      const config = relayConfig('d');
      await withRelay(config, async (relay) => {
        await fx.pool.query(`create table filler (id bigserial primary key, note text not null)`);
        await sleep(1_000);
        const before = (await slotPosition(fx.pool, config.relaySlot))!;
        const started = Date.now();
        // Write unrelated rows until both positions moved (at least 3 s). restart_lsn can only move at a
        // running-transactions record, which PostgreSQL logs at least every 15 s while WAL is written.
        const after = await eventually(
          'restart_lsn and confirmed_flush_lsn to advance',
          async () => {
            await fx.pool.query(
              `insert into filler (note) select repeat('x', 200) from generate_series(1, 200)`,
            );
            const now = (await slotPosition(fx.pool, config.relaySlot))!;
            const moved =
              parseLsn(now.restartLsn) > parseLsn(before.restartLsn) &&
              parseLsn(now.confirmedFlushLsn) > parseLsn(before.confirmedFlushLsn);
            return Date.now() - started >= 3_000 && moved && now;
          },
          45_000,
          100,
        );
        const { rows } = await fx.pool.query<{ lag: string }>(
          `select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag
           from pg_replication_slots where slot_name = $1`,
          [config.relaySlot],
        );
        console.log(
          `relay int: idle slot moved in ${Date.now() - started} ms: restart_lsn ${before.restartLsn} → ${after.restartLsn}, confirmed_flush_lsn ${before.confirmedFlushLsn} → ${after.confirmedFlushLsn}, lag now ${rows[0]!.lag} bytes`,
        );
        expect(parseLsn(after.restartLsn)).toBeGreaterThan(parseLsn(before.restartLsn));
        expect(parseLsn(after.confirmedFlushLsn)).toBeGreaterThan(parseLsn(before.confirmedFlushLsn));
        // Nothing of the outbox was written, so nothing was published.
        expect(await relay.metrics.registry.metrics()).toMatch(/^tributary_relay_events_published_total 0$/m);
      });
    });
  });

  describe('resuming after a failed batch', () => {
    /**
     * Two transactions committed at the same moment often have adjacent commit records: the second one's
     * starts exactly where the first one's ends. PostgreSQL resumes a slot at its confirmed position and skips
     * every transaction whose commit record starts before it, so the relay must confirm exactly the end of the
     * first (not one byte more), or a new session silently skips the second.
     */
    it('never skips the transaction committed right after the last acknowledged one', async () => {
      const config = relayConfig('g', { RELAY_BATCH_MAX_EVENTS: '1', RELAY_HEARTBEAT_MS: '0' });
      const topic = `${config.topicPrefix}pair`;
      // Per pair: the first transaction in commit order is published; the batch of the second fails once,
      // as a Kafka outage would, after the first one's acknowledgement reached PostgreSQL. Not every pair gets
      // adjacent commit records (other databases write WAL too), hence several pairs.
      let pair = { ids: new Set<string>(), published: 0, failed: false };
      const failingOnce = (kafka: Publisher): Publisher => ({
        ...kafka,
        async publish(batch) {
          const ids = batch.flatMap((group) =>
            group.messages.map((message) => String(message.headers?.ce_id)),
          );
          if (ids.some((id) => pair.ids.has(id)) && pair.published++ === 1 && !pair.failed) {
            pair.failed = true;
            await sleep(300);
            throw new TributaryError('infra.unavailable', 'injected: Kafka unavailable', { retriable: true });
          }
          await kafka.publish(batch);
        },
      });
      const first = await fx.pool.connect();
      const second = await fx.pool.connect();
      let reader: TopicReader | undefined;
      const missing: string[] = [];
      try {
        for (let n = 0; n < 8; n++) {
          // A relay per pair: its retry backoff starts again at 250 ms.
          const relay = startRelay(config, { publisher: failingOnce });
          try {
            await relay.started();
            const a = input('pair', `a-${n}`, 1);
            const b = input('pair', `b-${n}`, 1);
            pair = { ids: new Set([...idsOf(a), ...idsOf(b)]), published: 0, failed: false };
            await first.query('begin');
            await fx.store.append(a, { executor: pgExecutor(first) });
            await second.query('begin');
            await fx.store.append(b, { executor: pgExecutor(second) });
            await Promise.all([first.query('commit'), second.query('commit')]);
            reader ??= await TopicReader.open(fx.env.kafka(), [topic]);
            if (!(await reader.waitForIds(pair.ids, 10_000))) {
              missing.push(...[...pair.ids].filter((id) => !reader!.ids().has(id)));
            }
            expect(pair.failed).toBe(true);
            expect(relay.messages()).toContain(
              'replication session failed; resuming from the confirmed position',
            );
          } finally {
            await relay.stop();
          }
        }
        expect(missing).toEqual([]);
        // And exactly there: what was acknowledged is not sent again.
        expect(await reader!.drain()).toBe(true);
        expect([...duplicatesOf(reader!.received)]).toEqual([]);
      } finally {
        first.release();
        second.release();
        await reader?.close();
        await dropSlotWhenInactive(fx.pool, config.relaySlot);
      }
    });
  });

  describe('a batch that fails at once', () => {
    // The relay encodes the next batch while Kafka works on the current one: a send that fails before the
    // relay gets back to it must still end the session (and be retried), never escape as an unhandled
    // rejection, which would end the process.
    it('is retried from the confirmed position, and its failure is never an unhandled rejection', async () => {
      const config = relayConfig('h', { RELAY_BATCH_MAX_EVENTS: '1', RELAY_HEARTBEAT_MS: '0' });
      const topic = `${config.topicPrefix}instant`;
      let failures = 0;
      const failingAtOnce = (kafka: Publisher): Publisher => ({
        ...kafka,
        publish(batch) {
          if (failures < 3) {
            failures++;
            return Promise.reject(
              new TributaryError('infra.unavailable', 'injected: Kafka refused at once', { retriable: true }),
            );
          }
          return kafka.publish(batch);
        },
      });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const relay = startRelay(config, { publisher: failingAtOnce });
      let reader: TopicReader | undefined;
      try {
        await relay.started();
        const appended = Array.from({ length: 5 }, (_, n) => input('instant', `i-${n}`, 2));
        for (const each of appended) await fx.store.append(each);
        const ids = new Set(appended.flatMap(idsOf));
        reader = await TopicReader.open(fx.env.kafka(), [topic]);
        expect(await reader.waitForIds(ids, 20_000)).toBe(true);
        expect(failures).toBe(3);
        expect(relay.messages()).toContain(
          'replication session failed; resuming from the confirmed position',
        );
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await relay.stop();
        await reader?.close();
        await dropSlotWhenInactive(fx.pool, config.relaySlot);
      }
    });
  });

  describe('a replication connection that goes silent', () => {
    // A connection can die without a reset reaching either end (a network partition, a dropped NAT entry):
    // the relay then receives nothing, and PostgreSQL keeps the slot taken until wal_sender_timeout. The
    // receive watchdog ends such a session, and the next one ends the server process still holding the slot.
    it('is taken for dead after RELAY_RECEIVE_TIMEOUT_MS; the relay reconnects and publishes what was committed meanwhile', async () => {
      const target = new URL(fx.env.config.databaseUrl);
      const proxy = await startTcpProxy(target.hostname, Number(target.port));
      const throughProxy = new URL(target);
      throughProxy.host = proxy.address;
      const config = relayConfig('w', {
        DATABASE_URL: throughProxy.toString(),
        RELAY_RECEIVE_TIMEOUT_MS: '2000',
      });
      const topic = `${config.topicPrefix}silent`;
      let reader: TopicReader | undefined;
      try {
        await withRelay(config, async (relay) => {
          const before = Array.from({ length: 3 }, (_, n) => input('silent', `s-${n}`, 2));
          for (const each of before) await fx.store.append(each);
          reader = await TopicReader.open(fx.env.kafka(), [topic]);
          expect(await reader.waitForIds(new Set(before.flatMap(idsOf)), 20_000)).toBe(true);
          const slotBefore = await slotPosition(fx.pool, config.relaySlot);
          expect(slotBefore?.active).toBe(true);

          expect(proxy.stall('replication')).toBe(1);
          const stalledAt = Date.now();
          const during = Array.from({ length: 3 }, (_, n) => input('silent', `s-${n}`, 2));
          for (const each of during) await fx.store.append(each);
          expect(await reader.waitForIds(new Set(during.flatMap(idsOf)), 30_000)).toBe(true);
          const recoveredMs = Date.now() - stalledAt;
          console.log(
            `relay int: silent replication connection: published again ${recoveredMs} ms after it stalled`,
          );

          const failures = relay.lines.filter(
            (line) => line.msg === 'replication session failed; resuming from the confirmed position',
          );
          expect(failures.map((line) => String(line.err))).toEqual([
            expect.stringContaining('nothing received on the replication connection'),
          ]);
          expect(relay.messages()).toContain(
            'ended the server process still holding the slot for a lost session',
          );
          expect((await relay.metrics.reconnects.get()).values[0]?.value).toBe(1);
          // The process PostgreSQL streamed to before the stall is gone; a new one holds the slot.
          const slotAfter = await slotPosition(fx.pool, config.relaySlot);
          expect(slotAfter?.active).toBe(true);
          expect(slotAfter?.activePid).not.toBe(slotBefore?.activePid);
        });
      } finally {
        await reader?.close();
        await proxy.close();
      }
    });
  });

  describe('ending a stale reader of the slot', () => {
    it('never ends the process streaming the slot unless the given connection holds an advisory lock', async () => {
      const config = relayConfig('x');
      await withRelay(config, async () => {
        // The session logs that it started as it connects; the slot shows it active a moment later.
        const holder = await eventually(
          'the slot to show its reader',
          async () => (await slotPosition(fx.pool, config.relaySlot))?.activePid ?? undefined,
        );
        expect(holder).toEqual(expect.any(Number));
        const client = await fx.pool.connect();
        try {
          const { rows } = await client.query<{ pid: number }>(`select pg_backend_pid() as pid`);
          const withoutLock = rows[0]!.pid;
          expect(
            await terminateStaleReader(pgExecutor(fx.pool), config.relaySlot, withoutLock),
          ).toBeUndefined();
        } finally {
          client.release();
        }
        expect((await slotPosition(fx.pool, config.relaySlot))?.activePid).toBe(holder);
      });
    });
  });

  describe('stopping', () => {
    it('resolves runRelay when stopped while events flow; after a restart nothing is lost and nothing sent twice', async () => {
      const config = relayConfig('e');
      const topic = `${config.topicPrefix}restart`;
      const first = startRelay(config);
      let second: InProcessRelay | undefined;
      try {
        await first.started();
        let writing = true;
        const writes = Promise.all(
          Array.from({ length: 4 }, async (_, writer) => {
            for (let n = 0; writing; n++) {
              await fx.store.append(input('restart', `r${writer}-${n % 5}`, 1 + (n % 4)));
              await sleep(5);
            }
          }),
        );
        await sleep(1_500);
        const publishedBeforeStop = await first.metrics.eventsPublished.get();
        const stopStarted = Date.now();
        expect(await within(15_000, first.stop())).toBeUndefined();
        const stopMs = Date.now() - stopStarted;

        await sleep(1_000); // writers go on while no relay runs
        second = startRelay(config);
        await second.started();
        await sleep(1_000);
        writing = false;
        await writes;

        const ids = (await eventsOfType('restart')).map((row) => row.event_id);
        const records = await readUntilAll(fx.env.kafka(), [topic], ids);
        const seen = new Set(records.map((record) => record.id));
        const duplicates = duplicatesOf(records);
        console.log(
          `relay int: stop while flowing: stopped in ${stopMs} ms after ${publishedBeforeStop.values[0]?.value ?? 0} events; ${ids.length} committed, ${seen.size} on Kafka, ${duplicates.size} delivered twice`,
        );
        expect(ids.filter((id) => !seen.has(id))).toEqual([]);
        expect(ids.length).toBeGreaterThan(100);
        // A clean stop finishes and acknowledges the batch in flight, so the restart redelivers nothing.
        expect([...duplicates]).toEqual([]);
        // Per aggregate, first deliveries are in stream-version order despite the restart.
        for (const [key, keyed] of byKey(records)) {
          const firsts = new Set<string>();
          const versions = keyed
            .filter((record) => !firsts.has(record.id) && firsts.add(record.id))
            .map((record) => Number(toCloudEvent(record).sequence));
          expect({ key, versions }).toEqual({ key, versions: versions.map((_, i) => i + 1) });
        }
      } finally {
        // Cleanup after the assertions above (or after the error the test fails with).
        await first.stop().catch(() => undefined);
        await second?.stop().catch(() => undefined);
        await dropSlotWhenInactive(fx.pool, config.relaySlot);
      }
    });
  });
});
