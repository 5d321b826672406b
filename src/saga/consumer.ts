import { type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { connectAll, kafkaClient, orderedProducer, type KafkaSettings } from '../clients';
import { dlqTopic, type ConsumerContracts } from '../contracts';
import { isRetriable, toTributaryError } from '../errors';
import { decodeMessage, publishDeadLetters, requireTopics, stringHeaders } from '../projections/runtime';
import { sleep } from '../util';
import { onOrderCancelled } from './cancelled';
import type { SagaContext } from './context';
import { startSaga, type ConsumedEvent, type Handled } from './start';

/**
 * The saga's consumer of the order topic (its own consumer group). Each event that concerns it is handled in
 * one transaction that also records its id (exactly-once effect, as the projectors do); the offset is
 * committed after the batch's transactions committed, so a crash redelivers, and a redelivery changes nothing.
 * A message that is not an order event, or whose handling keeps failing for a reason no retry cures (a bug),
 * goes to `<topic>.dlq` with the reason (header `dlq_projector: saga`), and the consumer goes on.
 */
export interface SagaConsumerOptions {
  connection: KafkaSettings;
  groupId: string;
  topic: string;
  contracts: ConsumerContracts;
  partitionsConsumedConcurrently: number;
}

/** Attempts at an event whose failure is not retriable before it is logged and skipped. */
const ATTEMPTS_ON_BUGS = 3;

const HANDLERS: Record<string, (ctx: SagaContext, event: ConsumedEvent) => Promise<Handled>> = {
  OrderConfirmed: startSaga,
  OrderCancelled: onOrderCancelled,
};

export async function runSagaConsumer(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  stop: AbortSignal,
): Promise<void> {
  const { consumer, producer } = await connectClients(ctx, options);
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    const io = { consumer, producer };
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: (payload) => consumeBatch(ctx, options, io, payload, stop),
    });
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    // kafkajs waits for the batch in flight before it leaves the group: in-flight work finishes.
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

interface SagaClients {
  consumer: Consumer;
  /** Dead letters to `<topic>.dlq`. */
  producer: Producer;
}

async function connectClients(ctx: SagaContext, options: SagaConsumerOptions): Promise<SagaClients> {
  const kafka = kafkaClient(options.connection, {
    clientId: 'tributary-saga',
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  await requireTopics(kafka, [options.topic, dlqTopic(options.topic)]);
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: ctx.retryMaxMs },
  });
  const producer = orderedProducer(kafka);
  await connectAll([producer, consumer]);
  return { consumer, producer };
}

async function consumeBatch(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  { consumer, producer }: SagaClients,
  { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  stop: AbortSignal,
): Promise<void> {
  let done: string | undefined; // the last offset handled (its effect committed in PostgreSQL)
  try {
    for (const message of batch.messages) {
      if (stop.aborted || !isRunning() || isStale()) return; // the rest is redelivered
      if (!(await consumeMessage(ctx, options, producer, batch, message, stop))) return;
      resolveOffset(message.offset);
      done = message.offset;
      await heartbeat();
    }
  } finally {
    // One offset commit per batch, after the transactions of what it covers committed.
    if (done !== undefined) {
      const offset = (BigInt(done) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]);
    }
  }
}

/** Handles one message (or dead-letters it); false when stopping before its effect committed. */
async function consumeMessage(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  producer: Producer,
  batch: EachBatchPayload['batch'],
  message: KafkaMessage,
  stop: AbortSignal,
): Promise<boolean> {
  const position = { topic: batch.topic, partition: batch.partition, offset: message.offset };
  const decoded = decodeMessage(message, position, options.contracts);
  if (!decoded.ok) {
    await deadLetter(ctx, producer, message, position, decoded, `not an order event: ${decoded.reason}`);
    return true;
  }
  if (!HANDLERS[decoded.event.type]) return true;
  const handled = await handlePatiently(ctx, decoded.event, stop);
  if (handled === undefined) return false;
  if (handled === 'duplicate') ctx.metrics.duplicates.inc();
  if (typeof handled === 'object') {
    await deadLetter(ctx, producer, message, position, decoded.event, handled.failed);
  }
  return true;
}

/**
 * Sends a message the saga cannot handle to `<topic>.dlq` with why, and logs it. Waits for the broker's
 * acknowledgement: when it cannot be had, the error stops the batch, and the message is consumed again.
 */
async function deadLetter(
  ctx: SagaContext,
  producer: Producer,
  message: KafkaMessage,
  position: { topic: string; partition: number; offset: string },
  known: { aggregateId: string | null; eventId?: string | null; id?: string },
  reason: string,
): Promise<void> {
  const eventId = known.eventId ?? known.id ?? null;
  await publishDeadLetters(producer, [
    {
      projector: 'saga',
      position,
      key: message.key?.toString() ?? null,
      value: message.value,
      headers: stringHeaders(message),
      aggregateId: known.aggregateId,
      eventId,
      version: null,
      reason,
      parkedBehind: null,
    },
  ]);
  ctx.metrics.deadLetters.inc();
  ctx.logger.error({ ...position, eventId, reason }, 'saga: message dead-lettered');
}

/**
 * Handles one event until it succeeds: a lost race or an unavailable service is retried with backoff for as
 * long as it takes; anything else (a bug) a few times, then given up (dead-lettered). Undefined when stopping.
 */
async function handlePatiently(
  ctx: SagaContext,
  event: ConsumedEvent,
  stop: AbortSignal,
): Promise<Handled | { failed: string } | undefined> {
  const handler = HANDLERS[event.type]!;
  for (let attempt = 1; !stop.aborted; attempt++) {
    const started = process.hrtime.bigint();
    try {
      const handled = await handler(ctx, event);
      ctx.metrics.stepSeconds.observe({ step: event.type }, Number(process.hrtime.bigint() - started) / 1e9);
      return handled;
    } catch (error) {
      const failure = toTributaryError(error);
      ctx.metrics.failures.inc({ step: event.type, code: failure.code });
      const passing = isRetriable(failure) || failure.code === 'store.conflict';
      const fields = { eventId: event.id, orderId: event.aggregateId, code: failure.code, attempt };
      if (!passing && attempt >= ATTEMPTS_ON_BUGS) {
        return { failed: `${event.type} failed ${attempt} times: ${failure.message}` };
      }
      ctx.logger.warn({ ...fields, err: failure.message }, `saga: ${event.type} failed; retrying`);
      await sleep(passing && failure.code === 'store.conflict' ? 10 : backoff(ctx, attempt), stop);
    }
  }
  return undefined;
}

const backoff = (ctx: SagaContext, attempt: number) =>
  Math.min(ctx.retryBaseMs * 2 ** Math.min(attempt - 1, 20), ctx.retryMaxMs);
