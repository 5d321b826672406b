import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { TransactionHandle } from './ack-tracker';
import type { RelayMetrics } from './metrics';
import type { Publisher, TopicMessages } from './publisher';
import type { CompletedTransaction, RelayEntry } from './transaction-buffer';

/**
 * How a session cuts its queue of committed transactions into Kafka batches (whole transactions in commit
 * order, their records grouped by topic) and publishes one. A transaction is never split, so a batch acknowledged by Kafka
 * covers whole transactions and the ack tracker can confirm up to their commit.
 */

/** A committed transaction waiting to be published, with its place in the ack tracker. */
export interface Queued {
  transaction: CompletedTransaction;
  handle: TransactionHandle;
}

/** A batch with its Kafka records, grouped by topic. */
export interface Prepared {
  batch: Queued[];
  topics: TopicMessages[];
  events: number;
}

/** Whole transactions, in commit order, up to `maxEvents` (at least one transaction, however large). */
export function takeBatch(queue: Queued[], maxEvents: number): Queued[] {
  const batch: Queued[] = [];
  let events = 0;
  while (queue.length > 0) {
    const next = queue[0]!;
    if (batch.length > 0 && events + next.transaction.entries.length > maxEvents) break;
    batch.push(queue.shift()!);
    events += next.transaction.entries.length;
  }
  return batch;
}

/** Encodes a batch's entries as Kafka records, grouped by the topic `route` names for each. */
export function prepareBatch(
  batch: Queued[],
  route: (entry: RelayEntry) => string,
  encode: (entry: RelayEntry) => Message,
): Prepared {
  const byTopic = new Map<string, TopicMessages>();
  let events = 0;
  for (const { transaction } of batch) {
    for (const entry of transaction.entries) {
      const topic = route(entry);
      let group = byTopic.get(topic);
      if (!group) byTopic.set(topic, (group = { topic, messages: [] }));
      group.messages.push(encode(entry));
      events++;
    }
  }
  return { batch, topics: [...byTopic.values()], events };
}

/** Sends a batch to Kafka; resolves once Kafka acknowledged all of it. */
export async function publishBatch(
  { batch, topics, events }: Prepared,
  deps: { publisher: Publisher; metrics: RelayMetrics; logger: Logger },
): Promise<void> {
  if (events === 0) return;
  await deps.publisher.publish(topics);
  deps.metrics.eventsPublished.inc(events);
  deps.metrics.batchesPublished.inc();
  if (!deps.logger.isLevelEnabled('debug')) return;
  const ids = batch.flatMap(({ transaction }) => transaction.entries.map((entry) => entry.id));
  deps.logger.debug(
    { events, transactions: batch.length, firstEventId: ids[0], lastEventId: ids[ids.length - 1] },
    'batch published',
  );
  deps.logger.trace({ eventIds: ids }, 'event ids published');
}
