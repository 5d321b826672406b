import { randomUUID } from 'node:crypto';
import {
  dropSlotWhenInactive,
  duplicatesOf,
  eventually,
  readUntilAll,
  relaySlotName,
  slotPosition,
  toCloudEvent,
  within,
  type Received,
} from '../../test/fixtures/relay';
import {
  relayEnvironment,
  spawnRelay,
  type Launcher,
  type RelayProcess,
} from '../../test/fixtures/relay-process';
import { sleep } from '../../test/fixtures/events';
import { seededRandom } from '../../test/fixtures/random';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import type { Config } from '../config';
import { pgExecutor } from '../db/executor';
import { ensureTopics } from '../setup';
import { ensureSlot } from './slot';
import type { EventStore } from '../eventstore';

/**
 * The relay as real processes (`tributary relay`), killed with SIGKILL while writers keep committing: nothing
 * committed is lost, and what Kafka gets twice is only what a killed relay had published but not yet
 * acknowledged to PostgreSQL. A hot standby on the same slot takes over when the active relay dies.
 */
describe('the relay process under SIGKILL', () => {
  let fx: StoreFixture;
  const processes: RelayProcess[] = [];
  beforeAll(async () => {
    fx = await openStoreFixture(__filename, { poolSize: 12 });
  });
  afterAll(async () => {
    await Promise.all(processes.map((relay) => relay.destroy()));
    await fx.close();
  });

  /**
   * A relay's configuration, with what `tributary setup` creates for it: its slot, and the topic of the
   * `label` aggregate type the test writes.
   */
  async function relayConfig(label: string): Promise<Config> {
    const config = fx.configWith({
      RELAY_SLOT: relaySlotName(fx.env.name, label),
      TOPIC_PREFIX: `${fx.env.config.topicPrefix}${label}.`,
    });
    await ensureSlot(pgExecutor(fx.pool), config.relaySlot);
    await ensureTopics(fx.env.kafka(), [`${config.topicPrefix}${label}`], config.kafkaTopicPartitions);
    return config;
  }

  function start(name: string, config: Config, launcher: Launcher = 'node'): RelayProcess {
    const relay = spawnRelay(name, relayEnvironment(config), launcher);
    processes.push(relay);
    return relay;
  }

  /** Writers committing 1–3 events per transaction to a few aggregates each, until stopped. */
  function startWriters(store: EventStore, streamType: string, writers = 8) {
    let writing = true;
    let transactions = 0;
    const done = Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; writing; n++) {
          await store.append({
            streamId: `${streamType}-${writer}-${n % 10}`,
            streamType,
            expected: 'any',
            events: Array.from({ length: 1 + (n % 3) }, () => ({
              eventId: randomUUID(),
              type: 'ThingHappened',
              schemaVersion: 1,
              data: { writer, n },
            })),
          });
          transactions++;
          await sleep(10);
        }
      }),
    );
    return {
      transactions: () => transactions,
      stop: async () => {
        writing = false;
        await done;
      },
    };
  }

  const committedIds = async (streamType: string) =>
    (
      await fx.pool.query<{ event_id: string }>(`select event_id from events where stream_type = $1`, [
        streamType,
      ])
    ).rows.map((row) => row.event_id);

  /** Replication sessions a relay restarted by itself after an error (each may redeliver its tail too). */
  const sessionRestarts = (relays: RelayProcess[]) =>
    relays.flatMap((relay) => relay.lines).filter((line) => line.msg.startsWith('replication session failed'))
      .length;

  interface Delivery {
    lost: string[];
    distinct: number;
    records: number;
    duplicateIds: number;
    /** The most runs of redelivered records in one partition: each restart may add one, right at its start. */
    replayRuns: number;
  }

  /**
   * What reached Kafka, checked against what was committed. Per aggregate, first deliveries are in
   * stream-version order. Per partition, redelivered records (ids seen before) must come in at most
   * `restarts` contiguous runs: a restarted relay re-sends the unacknowledged tail first, in commit order, then
   * goes on with new events, so anything else would mean a duplicate that is not a replayed tail.
   */
  function checkDelivery(records: Received[], committed: string[], restarts: number): Delivery {
    const seen = new Set(records.map((record) => record.id));
    const ordered = [...records].sort(
      (a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0),
    );
    const runs = new Map<number, number>();
    const firstSeen = new Set<string>();
    const versions = new Map<string, number[]>();
    const previousWasReplay = new Map<number, boolean>();
    for (const record of ordered) {
      const replay = firstSeen.has(record.id);
      if (replay && !previousWasReplay.get(record.partition)) {
        runs.set(record.partition, (runs.get(record.partition) ?? 0) + 1);
      }
      previousWasReplay.set(record.partition, replay);
      if (!replay) {
        firstSeen.add(record.id);
        versions.set(record.key, [
          ...(versions.get(record.key) ?? []),
          Number(toCloudEvent(record).sequence),
        ]);
      }
    }
    for (const [key, keyed] of versions) {
      expect({ key, versions: keyed }).toEqual({ key, versions: keyed.map((_, i) => i + 1) });
    }
    const replayRuns = Math.max(0, ...runs.values());
    expect(replayRuns).toBeLessThanOrEqual(restarts);
    return {
      lost: committed.filter((id) => !seen.has(id)),
      distinct: seen.size,
      records: records.length,
      duplicateIds: duplicatesOf(records).size,
      replayRuns,
    };
  }

  it('loses no committed event when SIGKILLed at random points under load, redelivers only the unacknowledged tail, and exits 0 on SIGTERM', async () => {
    const config = await relayConfig('crash');
    const kills = 5;
    const seed = Date.now() % 1_000_000;
    const random = seededRandom(seed);
    const incarnations: {
      relay: RelayProcess;
      launcher: Launcher;
      streamedAfterMs?: number;
      publishingAfterMs?: number;
      killedAfterMs?: number;
    }[] = [];
    const writers = { current: undefined as ReturnType<typeof startWriters> | undefined };
    try {
      for (let n = 1; n <= kills + 1; n++) {
        // The last one runs as documented (through the tsx CLI) and is stopped with SIGTERM.
        const launcher: Launcher = n === kills + 1 ? 'tsx-cli' : 'node';
        const relay = start(`crash-${n}`, config, launcher);
        const incarnation: (typeof incarnations)[number] = { relay, launcher };
        incarnations.push(incarnation);
        const streaming = await relay.waitForLog('replication session started', 60_000);
        incarnation.streamedAfterMs = streaming.at - relay.startedAt;
        // Writing starts once the first relay streams.
        writers.current ??= startWriters(fx.store, 'crash');
        if (n > kills) break;
        // Kill it at a random point once it is publishing (its first batch), so that every kill can find
        // published-but-unacknowledged events, and every incarnation makes progress.
        const publishing = await relay.waitForLog('batch published', 60_000);
        incarnation.publishingAfterMs = publishing.at - relay.startedAt;
        await sleep(500 + Math.floor(random() * 2_500));
        relay.signal('SIGKILL');
        const exit = await relay.exited;
        expect(exit.signal).toBe('SIGKILL');
        incarnation.killedAfterMs = exit.at - publishing.at;
      }
      await sleep(1_000);
      await writers.current!.stop();

      const committed = await committedIds('crash');
      const records = await readUntilAll(fx.env.kafka(), [`${config.topicPrefix}crash`], committed, 90_000);
      const delivery = checkDelivery(
        records,
        committed,
        kills + sessionRestarts(incarnations.map((i) => i.relay)),
      );

      const last = incarnations[incarnations.length - 1]!.relay;
      last.signal('SIGTERM');
      const exit = await within(30_000, last.exited);
      // The relay let go of the slot: no process of it is left streaming.
      await eventually(
        'the slot to be released',
        async () => !(await slotPosition(fx.pool, config.relaySlot))?.active,
      );

      console.log(
        [
          `relay crash (seed ${seed}): ${writers.current!.transactions()} transactions, ${committed.length} events committed`,
          'run  launcher  streaming after  first batch after  killed after first batch  published*  ended',
          ...incarnations.map(
            ({ relay, launcher, streamedAfterMs, publishingAfterMs, killedAfterMs }, i) =>
              `${String(i + 1).padStart(3)}  ${launcher.padEnd(8)}  ${`${streamedAfterMs ?? '-'} ms`.padStart(15)}  ${`${publishingAfterMs ?? '-'} ms`.padStart(17)}  ${`${killedAfterMs ?? '-'} ms`.padStart(24)}  ${String(relay.published()).padStart(10)}  ${killedAfterMs === undefined ? 'SIGTERM' : 'SIGKILL'}`,
          ),
          '(times from the process start; * as its own log says: a SIGKILLed process may lose its last log lines)',
          `committed ${committed.length} | on Kafka ${delivery.distinct} distinct in ${delivery.records} records | ids delivered more than once ${delivery.duplicateIds} | lost ${delivery.lost.length} | replay runs per partition ≤ ${delivery.replayRuns} (restarts ${kills})`,
        ].join('\n'),
      );
      expect(delivery.lost).toEqual([]);
      expect(committed.length).toBeGreaterThan(1_000);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(last.lines.map((line) => line.msg)).toContain('relay stopped');
    } finally {
      await writers.current?.stop();
      await Promise.all(incarnations.map(({ relay }) => relay.destroy()));
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });

  it('lets a hot standby on the same slot take over within seconds of a SIGKILL, without loss', async () => {
    const config = await relayConfig('standby');
    const active = start('active', config);
    let standby: RelayProcess | undefined;
    let writers: ReturnType<typeof startWriters> | undefined;
    try {
      await active.waitForLog('replication session started', 60_000);
      standby = start('standby', config);
      await standby.waitForLog('another relay is active on this slot; waiting as a hot standby', 60_000);
      writers = startWriters(fx.store, 'standby');
      await sleep(2_000);
      expect(standby.lines.map((line) => line.msg)).not.toContain('relay is active');

      active.signal('SIGKILL');
      const killedAt = Date.now();
      await active.exited;
      const tookOver = await standby.waitForLog('relay is active', 15_000);
      const streaming = await standby.waitForLog('replication session started', 15_000);
      await sleep(1_500);
      await writers.stop();

      const committed = await committedIds('standby');
      const records = await readUntilAll(fx.env.kafka(), [`${config.topicPrefix}standby`], committed, 90_000);
      const delivery = checkDelivery(records, committed, 1 + sessionRestarts([active, standby]));
      const publishedBeforeTakeover = standby.lines.filter(
        (line) => line.msg === 'batch published' && line.at < tookOver.at,
      );
      standby.signal('SIGTERM');
      const exit = await within(30_000, standby.exited);

      console.log(
        `relay standby: active published ${active.published()}, SIGKILLed; standby active ${tookOver.at - killedAt} ms later, streaming after ${streaming.at - killedAt} ms, published ${standby.published()} | committed ${committed.length} | on Kafka ${delivery.distinct} distinct in ${delivery.records} records | ids delivered more than once ${delivery.duplicateIds} | lost ${delivery.lost.length}`,
      );
      expect(tookOver.at - killedAt).toBeLessThan(5_000);
      expect(publishedBeforeTakeover).toEqual([]); // one active relay per slot
      expect(delivery.lost).toEqual([]);
      expect(committed.length).toBeGreaterThan(500);
      expect(exit).toMatchObject({ code: 0, signal: null });
    } finally {
      await writers?.stop();
      await Promise.all([active.destroy(), standby?.destroy()]);
      await dropSlotWhenInactive(fx.pool, config.relaySlot);
    }
  });
});
