import type { Producer } from 'kafkajs';
import { dlqTopic } from '../../contracts';
import { TributaryError } from '../../errors';
import type { KafkaPosition } from '../types';

/** One message a projector could not apply, with why; what goes to `<topic>.dlq` and the dead-letter table. */
export interface DeadLetter {
  readonly projector: string;
  readonly position: KafkaPosition;
  /** The original message, untouched. */
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** The aggregate it belongs to, when known: that aggregate is parked. */
  readonly aggregateId: string | null;
  readonly eventId: string | null;
  readonly version: number | null;
  readonly reason: string;
  /** Set when the message itself was fine but its aggregate was already parked: the first parked event id. */
  readonly parkedBehind: string | null;
}

/** Headers a dead letter carries on Kafka next to the original message's own. */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  projector: 'dlq_projector',
  topic: 'dlq_original_topic',
  partition: 'dlq_original_partition',
  offset: 'dlq_original_offset',
  failedAt: 'dlq_failed_at',
  parkedBehind: 'dlq_parked_behind',
} as const;

/** The Kafka message of a dead letter: the original key, value and headers, plus the error headers. */
export function toDlqMessage(letter: DeadLetter, failedAt: Date) {
  const headers: Record<string, string> = {
    ...letter.headers,
    [DLQ_HEADERS.reason]: letter.reason,
    [DLQ_HEADERS.projector]: letter.projector,
    [DLQ_HEADERS.topic]: letter.position.topic,
    [DLQ_HEADERS.partition]: String(letter.position.partition),
    [DLQ_HEADERS.offset]: letter.position.offset,
    [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
  };
  if (letter.parkedBehind !== null) headers[DLQ_HEADERS.parkedBehind] = letter.parkedBehind;
  return { key: letter.key, value: letter.value, headers };
}

/** Publishes dead letters to `<topic>.dlq`, acknowledged by every in-sync replica. */
export async function publishDeadLetters(producer: Producer, letters: readonly DeadLetter[]): Promise<void> {
  const byTopic = new Map<string, ReturnType<typeof toDlqMessage>[]>();
  const now = new Date();
  for (const letter of letters) {
    const topic = dlqTopic(letter.position.topic);
    const messages = byTopic.get(topic) ?? [];
    messages.push(toDlqMessage(letter, now));
    byTopic.set(topic, messages);
  }
  try {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  } catch (error) {
    throw new TributaryError('infra.unavailable', `dead-letter topic: ${(error as Error).message}`, {
      cause: error,
      retriable: true,
    });
  }
}
