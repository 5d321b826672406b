import { randomUUID } from 'node:crypto';
import {
  dropSlotWhenInactive,
  eventually,
  readUntilAll,
  relaySlotName,
  startRelay,
  type Received,
} from '../../../test/fixtures/relay';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import type { AppendInput } from '../../eventstore';
import { ensureTopics } from '../../setup';
import { listDeadLetters } from './resolve';
import type { Config } from '../../config';
import { resolveWithPublisher, setMaxMessageBytes } from '../../../test/fixtures/dead-letters';
import { pgExecutor } from '../../db/executor';

/**
 * Against the real PostgreSQL and Kafka, with a topic whose max.message.bytes is small: a record Kafka would
 * refuse for good goes to relay_dead_letters instead of halting the relay, other aggregates keep flowing, the
 * same aggregate's later records are parked, and a replay after the limit is raised publishes them in order.
 */
describe('relay dead letters and parking', () => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { poolSize: 8 });
  });
  afterAll(() => fx.close());

  const streamType = 'dlq_thing';
  const one = (streamId: string, bytes: number): AppendInput => ({
    streamId,
    streamType,
    expected: 'any',
    events: [
      { eventId: randomUUID(), type: 'ThingHappened', schemaVersion: 1, data: { pad: 'x'.repeat(bytes) } },
    ],
  });

  const idOf = (input: AppendInput) => input.events[0]!.eventId!;
  const inOrder = (records: Received[], key: string) =>
    records
      .filter((record) => record.key === key)
      .sort((a, b) => Number(a.offset - b.offset))
      .map((record) => record.id);

  /** A relay configuration of its own (slot, topic prefix) and its topic, with max.message.bytes 4096. */
  async function prepare(label: string) {
    const config = fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
      RELAY_METRICS_PORT: '0',
      RELAY_HEARTBEAT_MS: '500',
    });
    const topic = `${config.topicPrefix}${streamType}`;
    const kafka = fx.env.kafka();
    await ensureTopics(kafka, [topic], config.kafkaTopicPartitions);
    await setMaxMessageBytes(kafka, topic, 4096);
    return { config, topic, kafka };
  }

  /** Waits for one open dead letter with `parked` records behind it. */
  const openDeadLetter = (config: Config, parked: number) =>
    eventually(`the dead letter with ${parked} parked`, async () => {
      const rows = await listDeadLetters(pgExecutor(fx.pool), config.relaySlot);
      return rows.length === 1 && rows[0]!.parked === parked ? rows : undefined;
    });

  it("dead-letters an oversized record, keeps other aggregates flowing, parks its aggregate's later records, and replays them in order", async () => {
    const { config, topic, kafka } = await prepare('dlq');
    const relay = startRelay(config);
    try {
      await relay.started();
      const [a, b, c] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
      const inputs = [one(a, 10), one(b, 10), one(a, 20_000), one(b, 10), one(a, 10), one(c, 10), one(a, 10)];
      for (const input of inputs) await fx.store.append(input);
      const [a1, b1, aBig, b2, a2, c1, a3] = inputs.map(idOf);

      // Other aggregates flow past the dead letter; A's first event went out before it.
      const flowing = await readUntilAll(kafka, [topic], [a1!, b1!, b2!, c1!]);
      const published = new Set(flowing.map((record) => record.id));
      for (const id of [a1, b1, b2, c1]) expect(published.has(id!)).toBe(true);
      for (const id of [aBig, a2, a3]) expect(published.has(id!)).toBe(false);

      const open = await openDeadLetter(config, 2);
      expect(open[0]).toMatchObject({ eventId: aBig, topic, aggregate: `${streamType}/${a}` });
      expect(open[0]!.reason).toMatch(/too large: .* max.message.bytes 4096/);
      expect(relay.metrics.deadLetters.get()).toBeDefined();

      // The operator raises the limit and replays: A resumes in stream order, later appends follow it.
      await setMaxMessageBytes(kafka, topic, 1_048_588);
      await expect(
        resolveWithPublisher(fx.pool, config, { id: open[0]!.id, action: 'replay', clientId: 'dlq-test' }),
      ).resolves.toBe(3);
      const after = one(a, 10);
      await fx.store.append(after);
      const all = await readUntilAll(kafka, [topic], [aBig!, a2!, a3!, idOf(after)]);
      expect(inOrder(all, a)).toEqual([a1, aBig, a2, a3, idOf(after)]);
      expect(await listDeadLetters(pgExecutor(fx.pool), config.relaySlot)).toEqual([]);
    } finally {
      await relay.stop().catch(() => undefined);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });

  it('skip marks the dead letter skipped and publishes the parked records in order; the aggregate then flows again', async () => {
    const { config, topic, kafka } = await prepare('dlqskip');
    const relay = startRelay(config);
    try {
      await relay.started();
      const a = `a-${randomUUID()}`;
      const inputs = [one(a, 10), one(a, 20_000), one(a, 10), one(a, 10)];
      for (const input of inputs) await fx.store.append(input);
      const [a1, aBig, a2, a3] = inputs.map(idOf);
      const open = await openDeadLetter(config, 2);
      await expect(
        resolveWithPublisher(fx.pool, config, { id: open[0]!.id, action: 'skip', clientId: 'dlq-test' }),
      ).resolves.toBe(2);
      const after = one(a, 10);
      await fx.store.append(after);
      const all = await readUntilAll(kafka, [topic], [a1!, a2!, a3!, idOf(after)]);
      expect(inOrder(all, a)).toEqual([a1, a2, a3, idOf(after)]);
      const statuses = await fx.pool.query<{ event_id: string; status: string }>(
        `select event_id, status from relay_dead_letters where slot = $1 order by id`,
        [config.relaySlot],
      );
      expect(statuses.rows).toEqual([
        { event_id: aBig, status: 'skipped' },
        { event_id: a2, status: 'replayed' },
        { event_id: a3, status: 'replayed' },
      ]);
    } finally {
      await relay.stop().catch(() => undefined);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });

  it('a restarted relay keeps the aggregate parked behind its open dead letter', async () => {
    const { config, topic, kafka } = await prepare('dlqrestart');
    const a = `a-${randomUUID()}`;
    let relay = startRelay(config);
    try {
      await relay.started();
      await fx.store.append(one(a, 20_000));
      await fx.store.append(one(a, 10));
      await openDeadLetter(config, 1);
      await relay.stop();
      relay = startRelay(config);
      await relay.started();
      const b = one(`b-${randomUUID()}`, 10);
      await fx.store.append(one(a, 10));
      await fx.store.append(b);
      await readUntilAll(kafka, [topic], [idOf(b)]);
      await openDeadLetter(config, 2);
    } finally {
      await relay.stop().catch(() => undefined);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });
});
