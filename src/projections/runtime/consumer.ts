import { Kafka, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { TributaryError, toTributaryError } from '../../errors';
import type { Logger } from '../../observability';
import {
  connectAll,
  describeKafkaSecurityFailure,
  kafkaClient,
  orderedProducer,
  type KafkaSettings,
} from '../../clients';
import { dlqTopic, type ConsumerContracts } from '../../contracts';
import type { Projection } from '../types';
import { publishDeadLetters } from './dead-letter';
import type { ProjectorMetrics } from './metrics';
import { pgBatchSessions } from './pg-session';
import { processBatch, type BatchDeps, type BatchResult } from './process-batch';
import { sleep } from '../../util';

/**
 * A projector process: a member of the consumer group `groupId` on `topics`, feeding one projection.
 * Offsets are committed only after a batch's read-model writes and dead letters succeeded, so a crash at
 * any point redelivers (harmless: projections are idempotent) and never skips.
 */
export interface ProjectorOptions {
  projection: Projection;
  contracts: ConsumerContracts;
  pool: Pool;
  /** Where and as whom to connect (KAFKA_* settings: brokers, TLS, SASL user). */
  connection: KafkaSettings;
  groupId: string;
  topics: string[];
  retryAttempts: number;
  retryMaxMs: number;
  partitionsConsumedConcurrently: number;
  maxBytesPerPartition: number;
  logger: Logger;
  metrics: ProjectorMetrics;
}

class Stopping extends Error {}

/** What every batch of a running projector needs. */
interface ProjectorRun {
  options: ProjectorOptions;
  stop: AbortSignal;
  consumer: Consumer;
  begin: BatchDeps['begin'];
  sendDeadLetters: BatchDeps['sendDeadLetters'];
}

const DENIED_BACKOFF_START_MS = 1_000;

/**
 * Runs until `stop` aborts; resolves after the batch in flight finished (or was abandoned uncommitted). A
 * credential Kafka refuses, a missing ACL or an untrusted certificate is logged as one line saying what to
 * fix, and the projector connects again after a capped backoff: an operator fixes it, the projector goes on.
 */
export async function runProjector(options: ProjectorOptions, stop: AbortSignal): Promise<void> {
  for (let waitMs = DENIED_BACKOFF_START_MS; ; waitMs = Math.min(waitMs * 2, options.retryMaxMs)) {
    try {
      return await runConnected(options, stop);
    } catch (error) {
      const denied = describeKafkaSecurityFailure(error, options.connection);
      if (denied === undefined || stop.aborted) throw error;
      options.logger.error({ code: 'infra.denied', retryInMs: waitMs }, denied);
      await sleep(waitMs, stop);
      if (stop.aborted) return;
    }
  }
}

async function runConnected(options: ProjectorOptions, stop: AbortSignal): Promise<void> {
  const { producer, consumer } = await connectClients(options);
  const run: ProjectorRun = {
    options,
    stop,
    consumer,
    begin: pgBatchSessions(options.pool, options.projection.name),
    sendDeadLetters: (letters) => publishDeadLetters(producer, letters),
  };
  try {
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    // Listening before `run`: a crash while joining the group (a missing group ACL) happens inside it.
    const stopped = untilStopped(consumer, stop);
    stopped.catch(() => undefined); // observed below; a crash inside `run` must not be unhandled meanwhile
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: (payload) => projectBatch(run, payload),
    });
    await stopped;
  } finally {
    // On the way out, stopped or failing with the error being thrown: a failed disconnect changes neither.
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

/**
 * The projector's producer (dead letters) and consumer, connected, once the topics they need are known to
 * exist: `tributary setup` creates them, and the consumer would otherwise wait for them without a word.
 */
async function connectClients(
  options: ProjectorOptions,
): Promise<{ producer: Producer; consumer: Consumer }> {
  const kafka = kafkaClient(options.connection, {
    clientId: `tributary-${options.projection.name}`,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  await requireTopics(kafka, [...options.topics, ...options.topics.map(dlqTopic)]);
  const producer = orderedProducer(kafka);
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: options.maxBytesPerPartition,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: options.retryMaxMs },
  });
  // Connecting again after a refused credential must not leave this attempt's connections open.
  await connectAll([producer, consumer]);
  return { producer, consumer };
}

/** Resolves when `stop` aborts; rejects when the consumer crashed in a way kafkajs will not restart. */
function untilStopped(consumer: Consumer, stop: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
    // kafkajs restarts the consumer after a retriable crash; one it will not restart ends the projector.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) reject(toTributaryError(payload.error));
    });
  });
}

/**
 * One batch: applied and dead-lettered (processBatch), then its offset committed. A stop while it retries
 * abandons it uncommitted, to be redelivered.
 */
async function projectBatch(run: ProjectorRun, payload: EachBatchPayload): Promise<void> {
  const { batch, resolveOffset, heartbeat } = payload;
  if (batch.messages.length === 0 || run.stop.aborted) return;
  const started = process.hrtime.bigint();
  try {
    const result = await processBatch(
      {
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages,
        highWatermark: batch.highWatermark,
      },
      batchDeps(run, payload),
    );
    const last = batch.messages[batch.messages.length - 1]!.offset;
    resolveOffset(last);
    // The offset after the last message: where the group resumes.
    await run.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    recordBatchMetrics(run.options.metrics, batch, result, started);
    await heartbeat();
  } catch (error) {
    if (error instanceof Stopping) return; // nothing resolved or committed: redelivered later
    const failure = toTributaryError(error);
    run.options.logger.error(
      { err: failure.message, code: failure.code },
      'batch abandoned; it will be redelivered',
    );
    throw failure;
  }
}

/** How processBatch reaches the projection, the dead-letter topic, the logs and the metrics for a batch. */
function batchDeps(run: ProjectorRun, { batch, heartbeat, isRunning, isStale }: EachBatchPayload): BatchDeps {
  const { options, stop } = run;
  const { logger, metrics } = options;
  return {
    projection: options.projection,
    contracts: options.contracts,
    begin: run.begin,
    sendDeadLetters: run.sendDeadLetters,
    retry: {
      attempts: options.retryAttempts,
      maxBackoffMs: options.retryMaxMs,
      sleep: (ms) => sleep(ms, stop),
      beforeWait: async (failure, attempt, waitMs) => {
        metrics.retries.inc({ code: failure.code });
        logger.warn(
          {
            err: failure.message,
            code: failure.code,
            attempt,
            retryInMs: waitMs,
            partition: batch.partition,
          },
          'applying a batch failed; retrying',
        );
        if (stop.aborted || !isRunning() || isStale()) throw new Stopping();
        await heartbeat();
      },
    },
    onDeadLetter: (letter) =>
      logger.error(
        {
          eventId: letter.eventId,
          aggregateId: letter.aggregateId,
          offset: letter.position.offset,
          reason: letter.reason,
        },
        'dead-lettered',
      ),
  };
}

function recordBatchMetrics(
  metrics: ProjectorMetrics,
  batch: EachBatchPayload['batch'],
  result: BatchResult,
  started: bigint,
): void {
  const last = batch.messages[batch.messages.length - 1]!.offset;
  metrics.batches.inc();
  metrics.eventsApplied.inc(result.applied);
  metrics.deadLetters.inc(result.deadLettered);
  metrics.lagMessages.set(
    { topic: batch.topic, partition: String(batch.partition) },
    Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
  );
  if (result.lastEventAt) {
    metrics.lagSeconds.set(Math.max(0, (Date.now() - Date.parse(result.lastEventAt)) / 1000));
  }
  metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
}

/** Fails, naming them, when some of `topics` do not exist. */
export async function requireTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      // Not retried: a projector that waited would hide that the deployment skipped `setup`.
      throw new TributaryError(
        'infra.unavailable',
        `Kafka topics ${missing.join(', ')} do not exist, or this user may not describe them: \`tributary setup\` creates them and their ACLs`,
        { retriable: false },
      );
    }
  } finally {
    // Whatever the outcome, this admin client is done; a failed disconnect changes nothing.
    await admin.disconnect().catch(() => undefined);
  }
}
