import { randomUUID } from 'node:crypto';

import pino from 'pino';
import { loadConfig } from '../config';
import { pgExecutor } from '../db/executor';
import * as stack from '../stack';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import { kafkaPublisher } from './publisher';
import { relayMetrics } from './metrics';
import { runRelay } from './relay';
import { ensureSlot, slotStatus } from './slot';
import { ensureTopics } from '../setup';
import { sleep } from '../util';
import { kafkaClient } from '../clients';

/**
 * Kafka stopped for 30 s while writers keep committing: the relay keeps retrying from its confirmed position,
 * the slot's lag grows while Kafka is away and drains once it is back, and every committed event ends up on
 * Kafka. This stops the stack's own Kafka broker, so it lives in the e2e tier, which runs files one at a time.
 */
describe('the relay through a Kafka outage', () => {
  let fixture: StoreFixture;
  const slot = `outage_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const stackConfig = loadConfig(process.env);
  const say = () => undefined;

  beforeAll(async () => {
    fixture = await openStoreFixture(__filename, {
      settings: { RELAY_SLOT: slot, RELAY_HEARTBEAT_MS: '1000', RELAY_METRICS_PORT: '0' },
    });
  });
  afterAll(async () => {
    // Whatever happened, leave Kafka running for the next test file.
    await stack.up(stackConfig, say, ['kafka']);
    await fixture.close();
  });

  it('loses nothing: lag grows while Kafka is down and drains after it returns', async () => {
    const kafkaStatus = (await stack.status(stackConfig, ['kafka']))[0];
    if (!kafkaStatus?.running) {
      throw new Error('this test stops and starts the native stack Kafka; start it with `npm run stack:up`');
    }
    const { config, store, pool } = fixture;
    // What `tributary setup` creates: the relay creates neither its slot nor its topics.
    await ensureSlot(pgExecutor(pool), slot);
    await ensureTopics(kafkaClient(config), [`${config.topicPrefix}order`], 3);
    const stop = new AbortController();
    const relay = runRelay(
      {
        config,
        pool,
        logger: pino({ level: 'silent' }),
        metrics: relayMetrics(),
        publisher: kafkaPublisher({
          connection: config,
          clientId: slot,
          compression: 'none',
        }),
      },
      stop.signal,
    );

    // Events committed before the slot exists are not in its stream: write only once the relay streams.
    const streamingBy = Date.now() + 30_000;
    while (!(await slotStatus(pgExecutor(pool), slot))?.active) {
      if (Date.now() > streamingBy) throw new Error('the relay did not start streaming within 30 s');
      await sleep(100);
    }

    const written: string[] = [];
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const result = await store.append({
          streamId: `order-${n % 50}`,
          streamType: 'order',
          expected: 'any',
          events: [{ type: 'OrderNoted', schemaVersion: 1, data: { n } }],
        });
        written.push(...result.events.map((event) => event.eventId));
        n++;
        await sleep(20);
      }
    })();

    await sleep(5_000);
    const lagBefore = (await slotStatus(pgExecutor(pool), slot))!.lagBytes;
    await stack.down(stackConfig, say, ['kafka']);
    await sleep(30_000);
    const lagDuring = (await slotStatus(pgExecutor(pool), slot))!.lagBytes;
    await stack.up(stackConfig, say, ['kafka']);
    await sleep(5_000);
    writing = false;
    await writer;

    // Drain: the slot catches up with everything written.
    const deadline = Date.now() + 120_000;
    let lagAfter = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      await pool.query(`select pg_logical_emit_message(true, 'tributary.heartbeat', 'drain')`);
      await sleep(1_000);
      lagAfter = (await slotStatus(pgExecutor(pool), slot))!.lagBytes;
      if (lagAfter < 64 * 1024) break;
    }
    stop.abort();
    await relay;

    expect(lagDuring).toBeGreaterThan(lagBefore);
    expect(lagAfter).toBeLessThan(64 * 1024);

    const seen = new Map<string, number>();
    const kafka = kafkaClient(config);
    const consumer = kafka.consumer({ groupId: `${slot}-check` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${config.topicPrefix}order`, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const id = message.headers?.ce_id?.toString() ?? '';
            seen.set(id, (seen.get(id) ?? 0) + 1);
            if (written.every((w) => seen.has(w))) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    const lost = written.filter((id) => !seen.has(id));
    const duplicates = [...seen.values()].filter((count) => count > 1).length;
    console.log(
      `kafka outage: written ${written.length}, lost ${lost.length}, duplicates ${duplicates}, lag before ${lagBefore} B, during ${lagDuring} B, after ${lagAfter} B`,
    );
    expect(written.length).toBeGreaterThan(500);
    expect(lost).toEqual([]);
  });
});
