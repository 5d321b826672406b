import type { Logger } from 'pino';
import type { KafkaRecord } from '../cloudevent';
import type { RelayMetrics } from '../metrics';
import type { TopicLimits } from './limits';
import { parseLsn } from '../lsn';
import { aggregateKey, decide, type Candidate, type Decision, type OpenRef } from './policy';
import type { DeadLetterRow, DeadLetterStore } from './store';

/**
 * Screens a batch before it is sent: records Kafka would refuse for good are written to the dead-letter table,
 * and so are the later records of their aggregates (parked); what is left is sent. The writes are committed
 * before the batch is sent, and the slot is confirmed only after the send: a dead letter is never lost.
 */

/** One record of a batch, in WAL order. */
export interface Item extends Candidate {
  commitLsn: string;
  eventId: string | undefined;
  streamVersion: number | undefined;
  /** For an entry that could not be read or encoded: what it was. */
  raw?: unknown;
}

export interface ScreenContext {
  store: DeadLetterStore;
  limits: TopicLimits;
  /** The session's open dead letters by aggregate key; kept current by `screen`. */
  open: Map<string, OpenRef>;
  metrics: RelayMetrics;
  logger: Logger;
}

/** Returns the items to send, in order; writes the others to the dead-letter table first. */
export async function screen(items: Item[], ctx: ScreenContext): Promise<Item[]> {
  const limit = (topic: string) => ctx.limits.get(topic);
  let decisions = decide(items, limit, ctx.open);
  if (decisions.every((decision) => decision.kind === 'publish')) return items;
  const blockers = [
    ...new Set(decisions.flatMap((d) => (d.kind === 'park' && 'id' in d.blocker ? [d.blocker.id] : []))),
  ];
  const ids = await ctx.store.record(blockers, (stillOpen) => {
    // A blocker resolved by an operator since the session read it no longer parks anything.
    for (const [key, { id }] of ctx.open)
      if (blockers.includes(id) && !stillOpen.has(id)) ctx.open.delete(key);
    decisions = decide(items, limit, ctx.open);
    return deadLetterRows(items, decisions);
  });
  account(items, decisions, ids, ctx);
  return items.filter((_, index) => decisions[index]!.kind === 'publish');
}

/** The rows for the items not published; a park blocked by an item of this batch points to its row. */
function deadLetterRows(items: Item[], decisions: Decision[]): DeadLetterRow[] {
  const rowOf = new Map<number, number>();
  const rows: DeadLetterRow[] = [];
  decisions.forEach((decision, index) => {
    if (decision.kind === 'publish') return;
    const item = items[index]!;
    const row = toRow(item, decision.kind === 'dead-letter' ? decision.reason : 'parked');
    if (decision.kind === 'park') {
      const { blocker } = decision;
      row.blockedBy = 'id' in blocker ? blocker : { index: rowOf.get(blocker.index)! };
      row.reason = `parked behind the aggregate's open dead letter`;
    }
    rowOf.set(index, rows.length);
    rows.push(row);
  });
  return rows;
}

function toRow(item: Item, reason: string): DeadLetterRow {
  const record: KafkaRecord | undefined = item.record;
  return {
    lsn: item.lsn,
    commitLsn: item.commitLsn,
    eventId: item.eventId,
    aggregateType: item.aggregateType,
    aggregateId: item.aggregateId,
    streamVersion: item.streamVersion,
    topic: item.topic,
    reason,
    recordKey: record?.key,
    payload: record ? Buffer.from(record.value) : rawBytes(item.raw),
    headers: record?.headers ?? {},
  };
}

function rawBytes(raw: unknown): Buffer | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw instanceof Uint8Array) return Buffer.from(raw);
  return Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
}

/** Metrics, one error line per dead letter, and the new open dead letters. */
function account(items: Item[], decisions: Decision[], ids: string[], ctx: ScreenContext): void {
  let row = 0;
  decisions.forEach((decision, index) => {
    if (decision.kind === 'publish') return;
    const item = items[index]!;
    const id = ids[row++]!;
    if (decision.kind === 'park') {
      ctx.metrics.deadLetters.inc({ kind: 'parked' });
      return;
    }
    ctx.metrics.deadLetters.inc({ kind: decision.reason.startsWith('invalid') ? 'invalid' : 'too_large' });
    const key = aggregateKey(item.aggregateType, item.aggregateId);
    if (key !== undefined) ctx.open.set(key, { id, lsn: parseLsn(item.lsn) });
    ctx.logger.error(
      { deadLetter: id, lsn: item.lsn, eventId: item.eventId, topic: item.topic, reason: decision.reason },
      "a record Kafka will never accept went to relay_dead_letters; its aggregate's later records are parked until `tributary relay dead-letters replay|skip`",
    );
  });
}
