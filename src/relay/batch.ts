import type { Logger } from 'pino';
import { TributaryError } from '../errors';
import type { KafkaRecord } from './cloudevent';
import { recordSizeBytes, splitBySize } from './dead-letters/policy';
import { screen, type Item, type ScreenContext } from './dead-letters/screen';
import { formatLsn, parseLsn } from './lsn';
import type { TransactionHandle } from './ack-tracker';
import type { RelayMetrics } from './metrics';
import type { Publisher, TopicMessages } from './publisher';
import type { CompletedTransaction, InvalidEntry, RelayEntry } from './transaction-buffer';

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

/** A batch with its records (encoded where they could be), in WAL order. */
export interface Prepared {
  batch: Queued[];
  items: Item[];
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

/**
 * Encodes a batch's entries as Kafka records for the topic `route` names. An entry that cannot be read or
 * encoded becomes an item without a record, which `screen` dead-letters.
 */
export function prepareBatch(
  batch: Queued[],
  route: (entry: RelayEntry) => string,
  encode: (entry: RelayEntry) => KafkaRecord,
): Prepared {
  const items: Item[] = [];
  for (const { transaction } of batch) {
    const commitLsn = formatLsn(transaction.commitLsn);
    const start = items.length;
    transaction.entries.forEach((entry, index) =>
      items.push(encodedItem(entry, transaction.entryLsns[index]!, commitLsn, route, encode)),
    );
    for (const invalid of transaction.invalid) items.push(invalidItem(invalid, commitLsn));
    // Entries and unreadable ones come in two lists: back to WAL order, for parking.
    if (transaction.invalid.length > 0) sortByLsn(items, start);
  }
  return { batch, items };
}

function encodedItem(
  entry: RelayEntry,
  lsn: string,
  commitLsn: string,
  route: (entry: RelayEntry) => string,
  encode: (entry: RelayEntry) => KafkaRecord,
): Item {
  const item: Item = {
    lsn,
    commitLsn,
    eventId: entry.id,
    aggregateType: entry.aggregateType,
    aggregateId: entry.aggregateId,
    streamVersion: entry.streamVersion,
    topic: route(entry),
    record: undefined,
    bytes: 0,
  };
  try {
    item.record = encode(entry);
    item.bytes = recordSizeBytes(item.record);
  } catch (error) {
    if (!(error instanceof TributaryError) || error.code !== 'input.invalid') throw error;
    item.invalidReason = error.message;
    item.raw = entry;
  }
  return item;
}

/** An entry the transaction buffer could not read; its aggregate, when the row names one, is parked behind it. */
function invalidItem({ lsn, reason, raw }: InvalidEntry, commitLsn: string): Item {
  const row = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    lsn,
    commitLsn,
    eventId: text(row.id),
    aggregateType: text(row.aggregate_type),
    aggregateId: text(row.aggregate_id),
    streamVersion: undefined,
    topic: undefined,
    record: undefined,
    bytes: 0,
    invalidReason: reason,
    raw,
  };
}

function sortByLsn(items: Item[], start: number): void {
  const sorted = items.slice(start).sort((a, b) => (parseLsn(a.lsn) < parseLsn(b.lsn) ? -1 : 1));
  items.splice(start, sorted.length, ...sorted);
}

/**
 * Screens a batch (dead letters and parked records are written first), then sends the rest to Kafka, cut
 * into sends that fit the topics' limits, one after the other; resolves once Kafka acknowledged all of it.
 */
export async function publishBatch(
  { batch, items }: Prepared,
  deps: { publisher: Publisher; metrics: RelayMetrics; logger: Logger; screen: ScreenContext },
): Promise<void> {
  if (items.length === 0) return;
  await deps.screen.limits.load(items.flatMap((item) => (item.topic ? [item.topic] : [])));
  const sendable = await screen(items, deps.screen);
  const limit = (topic: string) => deps.screen.limits.get(topic);
  const sends = splitBySize(
    sendable.map((item) => ({ topic: item.topic!, bytes: item.bytes, item })),
    limit,
  );
  for (const send of sends) await deps.publisher.publish(byTopic(send));
  deps.metrics.eventsPublished.inc(sendable.length);
  deps.metrics.batchesPublished.inc();
  if (!deps.logger.isLevelEnabled('debug')) return;
  const ids = sendable.map((item) => item.eventId);
  deps.logger.debug(
    {
      events: ids.length,
      transactions: batch.length,
      firstEventId: ids[0],
      lastEventId: ids[ids.length - 1],
    },
    'batch published',
  );
  deps.logger.trace({ eventIds: ids }, 'event ids published');
}

function byTopic(items: Item[]): TopicMessages[] {
  const groups = new Map<string, TopicMessages>();
  for (const item of items) {
    let group = groups.get(item.topic!);
    if (!group) groups.set(item.topic!, (group = { topic: item.topic!, messages: [] }));
    group.messages.push(item.record!);
  }
  return [...groups.values()];
}
