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

type BatchMessage = BatchInput['messages'][number];

interface Ready {
  message: BatchMessage;
  event: ProjectionEvent;
}

export async function processBatch(input: BatchInput, deps: BatchDeps): Promise<BatchResult> {
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
    const book = new DeadLetterBook(deps.projection.name, input, session.parked);
    // Rules 1 and 2: poison and the events of parked aggregates are dead letters; the rest is ready.
    const ready: Ready[] = [];
    for (const { message, decoded } of items) {
      if (!decoded.ok) book.add(message, decoded, decoded.reason);
      else if (book.isParked(decoded.event.aggregateId)) book.add(message, about(decoded.event), '');
      else ready.push({ message, event: decoded.event });
    }
    const applied = await applyReady(ready, deps, book);
    await recordDeadLetters(book.letters, deps, session);
    const lastOffset = input.messages.at(-1)?.offset;
    const lag =
      lastOffset === undefined ? 0 : Math.max(0, Number(input.highWatermark) - Number(lastOffset) - 1);
    await session.checkpoint(applied.lastEventAt, lag);
    await session.commit();
    return { applied: applied.count, deadLettered: book.letters.length, lastEventAt: applied.lastEventAt };
  } catch (error) {
    await session.rollback();
    throw error;
  }
}

/** A batch's dead letters and its parked aggregates (rule 2: an aggregate with a dead letter is parked). */
class DeadLetterBook {
  readonly letters: DeadLetter[] = [];
  /** Parked aggregate → the event id (or offset) of its first dead letter. */
  private readonly parked = new Map<string, string>();
  private readonly projector: string;
  private readonly input: BatchInput;

  constructor(projector: string, input: BatchInput, alreadyParked: ReadonlySet<string>) {
    this.projector = projector;
    this.input = input;
    for (const id of alreadyParked) this.parked.set(id, 'an earlier dead letter');
  }

  isParked(aggregateId: string): boolean {
    return this.parked.has(aggregateId);
  }

  /** Dead-letters `message` for `reason`, or as parked behind its aggregate's first dead letter. */
  add(
    message: BatchMessage,
    about: { aggregateId: string | null; eventId: string | null; version: number | null },
    reason: string,
  ): void {
    const behind = about.aggregateId === null ? undefined : this.parked.get(about.aggregateId);
    this.letters.push({
      projector: this.projector,
      position: { topic: this.input.topic, partition: this.input.partition, offset: message.offset },
      key: message.key === null ? null : message.key.toString(),
      value: message.value,
      headers: stringHeaders(message),
      ...about,
      reason: behind === undefined ? reason : `aggregate parked behind ${behind}`,
      parkedBehind: behind ?? null,
    });
    if (about.aggregateId !== null && behind === undefined) {
      this.parked.set(about.aggregateId, about.eventId ?? `offset ${message.offset}`);
    }
  }
}

/** How many events were applied, and the latest business time among them. */
class Applied {
  count = 0;
  lastEventAt: string | null = null;

  note(events: readonly ProjectionEvent[]): void {
    this.count += events.length;
    for (const event of events)
      if (this.lastEventAt === null || event.time > this.lastEventAt) this.lastEventAt = event.time;
  }
}

/** Rule 3: the ready events in one call; after a failure that is not retriable, one at a time. */
async function applyReady(ready: Ready[], deps: BatchDeps, book: DeadLetterBook): Promise<Applied> {
  const applied = new Applied();
  if (ready.length === 0) return applied;
  const events = ready.map((item) => item.event);
  // A failure that is not retriable goes straight to isolation, where each event gets its attempts.
  const failure = await retry(() => deps.projection.apply(events), { ...deps.retry, attempts: 1 });
  if (failure === undefined) {
    applied.note(events);
  } else {
    deps.onApplyFailure?.(failure, events.length);
    await isolatePoison(ready, deps, book, applied);
  }
  return applied;
}

/** One event at a time, in order, each retried a bounded number of times; what still fails is poison. */
async function isolatePoison(
  ready: Ready[],
  deps: BatchDeps,
  book: DeadLetterBook,
  applied: Applied,
): Promise<void> {
  const { projection } = deps;
  for (const { message, event } of ready) {
    if (book.isParked(event.aggregateId)) {
      book.add(message, about(event), '');
      continue;
    }
    const single = await retry(() => projection.apply([event]), deps.retry);
    if (single === undefined) applied.note([event]);
    else
      book.add(message, about(event), `${projection.name} failed to apply ${event.type}: ${single.message}`);
  }
}

/** Rule 4: dead letters reach their topic and table before the batch's offsets can be committed. */
async function recordDeadLetters(
  letters: DeadLetter[],
  deps: BatchDeps,
  session: BatchSession,
): Promise<void> {
  if (letters.length === 0) return;
  await retryForever(() => deps.sendDeadLetters(letters), deps.retry);
  await session.record(letters);
  for (const letter of letters) deps.onDeadLetter?.(letter);
}

function about(event: ProjectionEvent) {
  return { aggregateId: event.aggregateId, eventId: event.id, version: event.version };
}

/** Dead letters must get out: every failure of the DLQ topic is treated as retriable. */
async function retryForever(work: () => Promise<void>, options: RetryOptions): Promise<void> {
  const failure = await retry(work, { ...options, attempts: Number.POSITIVE_INFINITY });
  if (failure) throw failure;
}
