import type { KafkaMessage } from 'kafkajs';
import type { TributaryError } from '../../errors';
import type { ConsumerContracts } from '../../contracts';
import type { Projection, ProjectionEvent } from '../types';
import type { DeadLetter } from './dead-letter';
import { decodeMessage, stringHeaders } from './decode';
import { retry, type RetryOptions } from './retry';

/**
 * One batch of one partition, from decoding to dead letters — everything but the Kafka offsets, which the
 * consumer commits after this resolves. The rules that carry the guarantees:
 *
 *  1. A message that cannot be decoded (not a CloudEvent, unknown type, newer schema version) is poison.
 *  2. An aggregate with a dead letter is parked: its later events are dead-lettered too (reason: parked
 *     behind the first one), never applied past the gap. Other aggregates go on.
 *  3. The projection applies the rest in one call. A retriable failure is retried without limit (nothing is
 *     committed meanwhile); any other failure makes us apply one event at a time, in order, to find the
 *     poison: it is retried a bounded number of times, then dead-lettered and its aggregate parked.
 *  4. Dead letters are recorded (topic and table) before this resolves, so committing the offset afterwards
 *     can never lose a message.
 */

/** The parking state and dead-letter records, held for the length of one batch. */
export interface BatchSession {
  /** Aggregates of this batch that were already parked when the batch began. */
  readonly parked: ReadonlySet<string>;
  /** Records dead letters and parks their aggregates (committed with the session). */
  record(letters: readonly DeadLetter[]): Promise<void>;
  /** Remembers how fresh the read model is after this batch. */
  checkpoint(lastEventAt: string | null, lagMessages: number): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface BatchDeps {
  projection: Projection;
  contracts: ConsumerContracts;
  /**
   * Opens a session that holds the parking locks of these aggregates until commit or rollback; its
   * checkpoint is that of `partitionKey` (`topic/partition`).
   */
  begin(aggregateIds: readonly string[], partitionKey: string): Promise<BatchSession>;
  /** Publishes dead letters to `<topic>.dlq` (acknowledged by Kafka when it resolves). */
  sendDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  retry: RetryOptions;
  /** Tells what happened, for logs and metrics. */
  onDeadLetter?: (letter: DeadLetter) => void;
  onApplyFailure?: (failure: TributaryError, events: number) => void;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: readonly Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>[];
  /** The partition's high watermark, for the lag the checkpoint records. */
  highWatermark: string;
}

export interface BatchResult {
  applied: number;
  deadLettered: number;
  lastEventAt: string | null;
}

export async function processBatch(input: BatchInput, deps: BatchDeps): Promise<BatchResult> {
  const { projection } = deps;
  const items = input.messages.map((message) => ({
    message,
    decoded: decodeMessage(
      message,
      { topic: input.topic, partition: input.partition, offset: message.offset },
      deps.contracts,
    ),
  }));
  const aggregateIds = new Set<string>();
  for (const { decoded } of items) {
    const id = decoded.ok ? decoded.event.aggregateId : decoded.aggregateId;
    if (id !== null) aggregateIds.add(id);
  }

  const session = await deps.begin([...aggregateIds].sort(), `${input.topic}/${input.partition}`);
  try {
    /** Parked aggregate → the event id (or offset) of its first dead letter. */
    const parked = new Map<string, string>();
    for (const id of session.parked) parked.set(id, 'an earlier dead letter');
    const letters: DeadLetter[] = [];
    const deadLetter = (
      message: BatchInput['messages'][number],
      about: { aggregateId: string | null; eventId: string | null; version: number | null },
      reason: string,
    ) => {
      const behind = about.aggregateId === null ? undefined : parked.get(about.aggregateId);
      letters.push({
        projector: projection.name,
        position: { topic: input.topic, partition: input.partition, offset: message.offset },
        key: message.key === null ? null : message.key.toString(),
        value: message.value,
        headers: stringHeaders(message),
        ...about,
        reason: behind === undefined ? reason : `aggregate parked behind ${behind}`,
        parkedBehind: behind ?? null,
      });
      if (about.aggregateId !== null && behind === undefined) {
        parked.set(about.aggregateId, about.eventId ?? `offset ${message.offset}`);
      }
    };

    const ready: { message: BatchInput['messages'][number]; event: ProjectionEvent }[] = [];
    for (const { message, decoded } of items) {
      if (!decoded.ok) deadLetter(message, decoded, decoded.reason);
      else if (parked.has(decoded.event.aggregateId)) deadLetter(message, about(decoded.event), '');
      else ready.push({ message, event: decoded.event });
    }

    let applied = 0;
    let lastEventAt: string | null = null;
    const noteApplied = (events: readonly ProjectionEvent[]) => {
      applied += events.length;
      for (const event of events)
        if (lastEventAt === null || event.time > lastEventAt) lastEventAt = event.time;
    };
    if (ready.length > 0) {
      const events = ready.map((item) => item.event);
      // A failure that is not retriable goes straight to isolation, where each event gets its attempts.
      const failure = await retry(() => projection.apply(events), { ...deps.retry, attempts: 1 });
      if (failure === undefined) {
        noteApplied(events);
      } else {
        deps.onApplyFailure?.(failure, events.length);
        // Isolate the poison: one event at a time, in order, each retried a bounded number of times.
        for (const { message, event } of ready) {
          if (parked.has(event.aggregateId)) {
            deadLetter(message, about(event), '');
            continue;
          }
          const single = await retry(() => projection.apply([event]), deps.retry);
          if (single === undefined) noteApplied([event]);
          else
            deadLetter(
              message,
              about(event),
              `${projection.name} failed to apply ${event.type}: ${single.message}`,
            );
        }
      }
    }

    if (letters.length > 0) {
      await retryForever(() => deps.sendDeadLetters(letters), deps.retry);
      await session.record(letters);
      for (const letter of letters) deps.onDeadLetter?.(letter);
    }
    const lastOffset = input.messages.at(-1)?.offset;
    const lag =
      lastOffset === undefined ? 0 : Math.max(0, Number(input.highWatermark) - Number(lastOffset) - 1);
    await session.checkpoint(lastEventAt, lag);
    await session.commit();
    return { applied, deadLettered: letters.length, lastEventAt };
  } catch (error) {
    await session.rollback();
    throw error;
  }
}

function about(event: ProjectionEvent) {
  return { aggregateId: event.aggregateId, eventId: event.id, version: event.version };
}

/** Dead letters must get out: every failure of the DLQ topic is treated as retriable. */
async function retryForever(work: () => Promise<void>, options: RetryOptions): Promise<void> {
  const failure = await retry(work, { ...options, attempts: Number.POSITIVE_INFINITY });
  if (failure) throw failure;
}
