import type { Admin } from 'kafkajs';
import type { Executor } from '../db/executor';
import { HEARTBEAT_PREFIX, slotStatus, type SlotStatus } from '../relay';
import { parseLsn } from '../relay/lsn';
import type { Component } from './processes';
import { waitUntil } from './wait';

/**
 * What the demo observes of the pipeline from outside, the way an operator would: when each component is
 * ready, when the read models hold everything written so far, and how far each stage lags.
 */

const START_TIMEOUT_MS = 120_000;

/** Ready when the API answers its OpenAPI document. */
export async function waitForApi(baseUrl: string, api: Component, signal: AbortSignal): Promise<void> {
  await waitUntil(
    `the API to answer at ${baseUrl} (${api.logFile})`,
    async () => {
      // Not answering yet is what this waits out; waitUntil's timeout names the log file to read.
      const response = await fetch(`${baseUrl}/docs/json`, { signal: AbortSignal.timeout(2_000) }).catch(
        () => undefined,
      );
      return response?.status === 200;
    },
    { signal, timeoutMs: START_TIMEOUT_MS, everyMs: 200 },
  );
}

/**
 * Ready when its replication session streams from the slot; 'standby' when another relay holds the slot
 * (events flow through that one, and this one takes over when it stops).
 */
export function waitForRelay(relay: Component, signal: AbortSignal): Promise<'streaming' | 'standby'> {
  return waitUntil(
    `the relay to stream (${relay.logFile})`,
    () => {
      if (relay.logged('replication session started')) return 'streaming' as const;
      if (relay.logged('another relay is active on this slot; waiting as a hot standby'))
        return 'standby' as const;
      return undefined;
    },
    { signal, timeoutMs: START_TIMEOUT_MS, everyMs: 100 },
  );
}

/** Ready when its consumer group is stable with at least one member: partitions are assigned. */
export async function waitForGroup(
  admin: Admin,
  groupId: string,
  projector: Component,
  signal: AbortSignal,
): Promise<void> {
  await waitUntil(
    `projector ${projector.name} to join consumer group ${groupId} (${projector.logFile})`,
    async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return group?.state === 'Stable' && group.members.length > 0;
    },
    { signal, timeoutMs: START_TIMEOUT_MS, everyMs: 250 },
  );
}

export interface CatchUpTarget {
  executor: Executor;
  admin: Admin;
  slot: string;
  topic: string;
  groupIds: string[];
}

/**
 * Waits until both read models hold every command answered so far:
 *  1. the relay published everything: a marker written now (a heartbeat message, which the relay confirms
 *     like any transaction) is confirmed by the slot only once every transaction committed before it is on
 *     Kafka, since the relay confirms in commit order and only what Kafka acknowledged;
 *  2. then each projector's consumer group committed offsets up to the topic's end as it is now (a projector
 *     commits only after its read-model writes).
 */
export async function waitUntilCaughtUp(
  { executor, admin, slot, topic, groupIds }: CatchUpTarget,
  signal: AbortSignal,
  timeoutMs = 180_000,
): Promise<void> {
  const [marker] = await executor.query<{ lsn: string }>(
    `select pg_logical_emit_message(true, $1, 'demo: caught up?')::text as lsn`,
    [HEARTBEAT_PREFIX],
  );
  const markerLsn = parseLsn(marker!.lsn);
  await waitUntil(
    `the relay to publish every event (slot ${slot})`,
    async () => {
      const status = await slotStatus(executor, slot);
      return status?.confirmedFlushLsn != null && parseLsn(status.confirmedFlushLsn) >= markerLsn;
    },
    { signal, timeoutMs, everyMs: 100 },
  );
  const ends = await admin.fetchTopicOffsets(topic);
  for (const groupId of groupIds) {
    await waitUntil(
      `consumer group ${groupId} to reach the end of ${topic}`,
      async () => (await groupLag(admin, groupId, topic, ends)) === 0,
      { signal, timeoutMs, everyMs: 100 },
    );
  }
}

type TopicEnds = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/** Messages on `topic` the group has not committed yet (up to `ends`, default the topic's end now). */
export async function groupLag(
  admin: Admin,
  groupId: string,
  topic: string,
  ends?: TopicEnds,
): Promise<number> {
  const high = ends ?? (await admin.fetchTopicOffsets(topic));
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offsetOf = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  return high.reduce((sum, { partition, high: end, low }) => {
    const at = offsetOf.get(partition) ?? -1;
    // -1: nothing committed yet, which counts from the partition's first message.
    return sum + Math.max(0, Number(end) - (at < 0 ? Number(low) : at));
  }, 0);
}

export interface PipelineLag {
  slot: SlotStatus | undefined;
  /** Per projector (by name): messages on Kafka its group has not committed. */
  groups: { name: string; groupId: string; messages: number }[];
}

/** The lag of each stage now: the relay's slot (WAL not yet confirmed) and each projector's Kafka lag. */
export async function pipelineLag(
  target: Omit<CatchUpTarget, 'groupIds'>,
  projectors: { name: string; groupId: string }[],
): Promise<PipelineLag> {
  const ends = await target.admin.fetchTopicOffsets(target.topic);
  return {
    slot: await slotStatus(target.executor, target.slot),
    groups: await Promise.all(
      projectors.map(async (p) => ({
        ...p,
        messages: await groupLag(target.admin, p.groupId, target.topic, ends),
      })),
    ),
  };
}
