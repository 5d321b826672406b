import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { pgExecutor, type Executor } from '../db/executor';
import { TributaryError, toTributaryError } from '../errors';
import { acquireRelayLock } from './lock';
import type { RelayMetrics } from './metrics';
import type { Publisher } from './publisher';
import { topicPerAggregateType } from '../contracts';
import type { TopicRouter } from './routing';
import type { PayloadValidator } from './validate';
import { runSession } from './session';
import { slotStatus, terminateStaleReader } from './slot';
import { sleep } from '../util';
import { deadLetterStore } from './dead-letters/store';

/**
 * The relay process: wait for the slot's lock (hot standby), then run replication sessions on the slot and
 * publication `tributary setup` created (the relay creates neither: it needs no DDL), starting a new one
 * from the confirmed position after any retriable failure with capped exponential backoff. A record Kafka
 * will never accept (too large for its topic, unreadable) goes to relay_dead_letters and parks its aggregate
 * (src/relay/dead-letters); a failure no retry can fix (a missing slot) ends the relay: nothing is skipped.
 */

export interface RelayDeps {
  config: Config;
  /** For the lock, slot management, heartbeats and lag (not the replication connection). */
  pool: Pool;
  publisher: Publisher;
  logger: Logger;
  metrics: RelayMetrics;
  /** Topic routing (default: one topic per aggregate type under TOPIC_PREFIX). */
  router?: TopicRouter;
  /** Validation of each event against its schema before publishing (RELAY_VALIDATE_SCHEMAS); none when absent. */
  validate?: PayloadValidator;
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 30_000;
const LAG_POLL_MS = 5_000;
const HEALTHY_SESSION_MS = 30_000;

/** Runs until `stop` is aborted (resolves after a clean shutdown) or a non-retriable failure (rejects). */
export async function runRelay(deps: RelayDeps, stop: AbortSignal): Promise<void> {
  const { config, pool, logger } = deps;
  const slot = config.relaySlot;
  while (!stop.aborted) {
    const lock = await acquireRelayLock(pool, slot, {
      pollMs: config.relayStandbyPollMs,
      signal: stop,
      onWait: () => logger.info({ slot }, 'another relay is active on this slot; waiting as a hot standby'),
      logger,
    });
    if (!lock) return;
    logger.info({ slot, kafkaUser: config.kafkaUsername }, 'relay is active');
    try {
      await runWhileActive(deps, lock.backendPid, AbortSignal.any([stop, lock.lost]));
    } finally {
      await lock.release();
    }
    if (!stop.aborted) {
      logger.warn({ slot }, "the relay lock's connection failed; competing for the lock again");
      await sleep(BACKOFF_START_MS, stop);
    }
  }
}

/** Streams sessions while this relay holds the lock (until `active` aborts). */
async function runWhileActive(deps: RelayDeps, lockBackendPid: number, active: AbortSignal): Promise<void> {
  const executor = pgExecutor(deps.pool);
  const deadLetters = deadLetterStore(deps.pool, deps.config.relaySlot);
  const timers: NodeJS.Timeout[] = [];
  let backoffMs = BACKOFF_START_MS;
  try {
    while (!active.aborted) {
      const sessionStarted = Date.now();
      try {
        const startLsn = await confirmedPosition(deps, executor, lockBackendPid);
        // A fresh idempotent producer per session: after a failed send, the old producer's sequence numbers
        // no longer say which messages the broker has, and a batch re-read from the slot could be taken for a
        // duplicate of different messages and dropped. A new producer id starts from a clean slate.
        await deps.publisher.connect();
        if (timers.length === 0) timers.push(...background(deps));
        await runSession(sessionSettings(deps, startLsn), { ...deps, deadLetters }, active);
        backoffMs = BACKOFF_START_MS;
      } catch (error) {
        backoffMs = await backOffAfter(error, deps, { backoffMs, sessionStarted, active });
      }
    }
  } finally {
    for (const timer of timers) clearInterval(timer);
    await deps.publisher.disconnect();
  }
}

/**
 * The slot's confirmed position, where the next session starts. A server process still streaming the slot
 * for a lost session of this relay is ended first (fenced by this relay's lock), or the new session could
 * not take the slot. A missing slot ends the relay: one created now would stream only what commits from now
 * on, so whatever was committed since the old one is gone would never be published without a person
 * deciding how to recover it (`tributary verify`, then `tributary setup`).
 */
async function confirmedPosition(
  { config, logger }: RelayDeps,
  executor: Executor,
  lockBackendPid: number,
): Promise<string> {
  const slot = config.relaySlot;
  let status = await slotStatus(executor, slot);
  if (status?.activePid != null) {
    const ended = await terminateStaleReader(executor, slot, lockBackendPid);
    if (ended !== undefined) {
      logger.warn({ slot, pid: ended }, 'ended the server process still holding the slot for a lost session');
      status = await slotStatus(executor, slot);
    }
  }
  if (!status?.confirmedFlushLsn) {
    throw new TributaryError(
      'internal',
      `replication slot ${slot} does not exist: \`tributary setup\` creates it, before the API takes writes`,
    );
  }
  return status.confirmedFlushLsn;
}

/** What a session needs from the relay's configuration, starting at `startLsn`. */
function sessionSettings({ config, router, validate }: RelayDeps, startLsn: string) {
  return {
    connectionString: config.databaseUrl,
    slot: config.relaySlot,
    publication: config.relayPublication,
    startLsn,
    batchMaxEvents: config.relayBatchMaxEvents,
    bufferMaxEvents: config.relayBufferMaxEvents,
    receiveTimeoutMs: config.relayReceiveTimeoutMs,
    cloudEvents: {
      source: config.cloudEventSource,
      typePrefix: config.cloudEventTypePrefix,
      ...(config.cloudEventDataschemaBase ? { dataschemaBase: config.cloudEventDataschemaBase } : {}),
    },
    contentMode: config.cloudEventMode,
    router: router ?? topicPerAggregateType(config.topicPrefix),
    maxMessageBytesFallback: config.relayMaxMessageBytes,
    ...(validate ? { validate } : {}),
  };
}

/**
 * After a failed session: rethrows a failure no retry can fix; otherwise waits (capped exponential backoff)
 * and returns the next wait.
 */
async function backOffAfter(
  error: unknown,
  { publisher, logger, metrics }: RelayDeps,
  { backoffMs, sessionStarted, active }: { backoffMs: number; sessionStarted: number; active: AbortSignal },
): Promise<number> {
  const failure = toTributaryError(error);
  metrics.errors.inc({ kind: failure.code });
  await publisher.disconnect();
  if (!failure.retriable) throw failure;
  // A session that ran a while was healthy: this is a new incident, not the same one again.
  const waitMs = Date.now() - sessionStarted > HEALTHY_SESSION_MS ? BACKOFF_START_MS : backoffMs;
  if (failure.code === 'infra.denied') {
    // A credential, certificate or ACL problem: the line says what to fix; the relay retries until it is.
    logger.error({ code: failure.code, retryInMs: waitMs }, failure.message);
  } else {
    logger.warn(
      { err: failure.message, retryInMs: waitMs },
      'replication session failed; resuming from the confirmed position',
    );
  }
  metrics.reconnects.inc();
  await sleep(waitMs, active);
  return Math.min(waitMs * 2, BACKOFF_MAX_MS);
}

/**
 * Heartbeat messages (so an idle slot advances) and slot-lag reporting. The heartbeat is `relay_heartbeat()`
 * (the LeastPrivilege migration), which emits the HEARTBEAT_PREFIX message with its owner's rights: the
 * relay's role may not emit logical messages itself, since an outbox entry in message mode is one.
 */
function background({ config, pool, logger, metrics }: RelayDeps): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  if (config.relayHeartbeatMs > 0) {
    timers.push(
      setInterval(() => {
        pool
          .query(`select relay_heartbeat()`)
          .catch((error: Error) => logger.warn({ err: error.message }, 'heartbeat failed'));
      }, config.relayHeartbeatMs),
    );
  }
  timers.push(
    setInterval(() => {
      slotStatus(pgExecutor(pool), config.relaySlot).then(
        (status) => {
          if (!status) return;
          metrics.slotLagBytes.set(status.lagBytes);
          if (config.relayLagWarnBytes > 0 && status.lagBytes > config.relayLagWarnBytes) {
            logger.warn(
              { lagBytes: status.lagBytes, slot: config.relaySlot },
              'replication slot lag is above RELAY_LAG_WARN_BYTES',
            );
          }
        },
        (error: Error) => logger.warn({ err: error.message }, 'could not read slot lag'),
      );
    }, LAG_POLL_MS),
  );
  for (const timer of timers) timer.unref();
  return timers;
}
