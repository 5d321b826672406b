import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
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
import { kafkaPublisher } from '../publisher';
import { listDeadLetters, resolveDeadLetter } from './resolve';
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

  async function setLimit(kafka: Kafka, topic: string, bytes: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'max.message.bytes', value: String(bytes) }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
  }

  const idOf = (input: AppendInput) => input.events[0]!.eventId!;
  const inOrder = (records: Received[], key: string) =>
    records
      .filter((record) => record.key === key)
      .sort((a, b) => Number(a.offset - b.offset))
      .map((record) => record.id);

  it("dead-letters an oversized record, keeps other aggregates flowing, parks its aggregate's later records, and replays them in order", async () => {
    const label = 'dlq';
    const config = fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
      RELAY_METRICS_PORT: '0',
      RELAY_HEARTBEAT_MS: '500',
    });
    const topic = `${config.topicPrefix}${streamType}`;
    const kafka = fx.env.kafka();
    await ensureTopics(kafka, [topic], config.kafkaTopicPartitions);
    await setLimit(kafka, topic, 4096);
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

      const open = await eventually('the dead letter', async () => {
        const rows = await listDeadLetters(pgExecutor(fx.pool), config.relaySlot);
        return rows.length === 1 && rows[0]!.parked === 2 ? rows : undefined;
      });
      expect(open[0]).toMatchObject({ eventId: aBig, topic, aggregate: `${streamType}/${a}` });
      expect(open[0]!.reason).toMatch(/too large: .* max.message.bytes 4096/);
      expect(relay.metrics.deadLetters.get()).toBeDefined();

      // The operator raises the limit and replays: A resumes in stream order, later appends follow it.
      await setLimit(kafka, topic, 1_048_588);
      const publisher = kafkaPublisher({
        connection: config,
        clientId: 'dlq-test',
        compression: 'none',
      });
      await publisher.connect();
      try {
        await expect(
          resolveDeadLetter(fx.pool, publisher, {
            slot: config.relaySlot,
            id: open[0]!.id,
            action: 'replay',
          }),
        ).resolves.toBe(3);
      } finally {
        await publisher.disconnect();
      }
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
    const label = 'dlqskip';
    const config = fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
      RELAY_METRICS_PORT: '0',
      RELAY_HEARTBEAT_MS: '500',
    });
    const topic = `${config.topicPrefix}${streamType}`;
    const kafka = fx.env.kafka();
    await ensureTopics(kafka, [topic], config.kafkaTopicPartitions);
    await setLimit(kafka, topic, 4096);
    const relay = startRelay(config);
    try {
      await relay.started();
      const a = `a-${randomUUID()}`;
      const inputs = [one(a, 10), one(a, 20_000), one(a, 10), one(a, 10)];
      for (const input of inputs) await fx.store.append(input);
      const [a1, aBig, a2, a3] = inputs.map(idOf);
      const open = await eventually('the dead letter', async () => {
        const rows = await listDeadLetters(pgExecutor(fx.pool), config.relaySlot);
        return rows.length === 1 && rows[0]!.parked === 2 ? rows : undefined;
      });
      const publisher = kafkaPublisher({
        connection: config,
        clientId: 'dlq-test',
        compression: 'none',
      });
      await publisher.connect();
      try {
        await expect(
          resolveDeadLetter(fx.pool, publisher, { slot: config.relaySlot, id: open[0]!.id, action: 'skip' }),
        ).resolves.toBe(2);
      } finally {
        await publisher.disconnect();
      }
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
    const label = 'dlqrestart';
    const config = fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
      RELAY_METRICS_PORT: '0',
      RELAY_HEARTBEAT_MS: '500',
    });
    const topic = `${config.topicPrefix}${streamType}`;
    const kafka = fx.env.kafka();
    await ensureTopics(kafka, [topic], config.kafkaTopicPartitions);
    await setLimit(kafka, topic, 4096);
    const a = `a-${randomUUID()}`;
    const parkedCount = (count: number) =>
      eventually(`${count} parked`, async () => {
        const rows = await listDeadLetters(pgExecutor(fx.pool), config.relaySlot);
        return rows.length === 1 && rows[0]!.parked === count ? rows : undefined;
      });
    let relay = startRelay(config);
    try {
      await relay.started();
      await fx.store.append(one(a, 20_000));
      await fx.store.append(one(a, 10));
      await parkedCount(1);
      await relay.stop();
      relay = startRelay(config);
      await relay.started();
      const b = one(`b-${randomUUID()}`, 10);
      await fx.store.append(one(a, 10));
      await fx.store.append(b);
      await readUntilAll(kafka, [topic], [idOf(b)]);
      await parkedCount(2);
    } finally {
      await relay.stop().catch(() => undefined);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });
});
