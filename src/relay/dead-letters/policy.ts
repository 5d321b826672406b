import type { KafkaRecord } from '../cloudevent';
import { recordSize } from '../kafka-record-encoding';
import { parseLsn } from '../lsn';

/**
 * What the relay does with each record of a batch before sending it: publish it, dead-letter it (Kafka would
 * refuse it for good, so sending it would only fail the session again on the same WAL position, forever), or
 * park it behind its aggregate's open dead letter (publishing it would reorder the aggregate's stream).
 * Pure: the session supplies the limits and the open dead letters, and writes what this decides.
 */

/**
 * Bytes a v2 record batch adds around its records (base offset, length, epoch, magic, CRC, attributes, offset
 * delta, timestamps, producer id and epoch, base sequence, count). A topic's `max.message.bytes` bounds the
 * whole batch, so a record alone in its batch fits when its size plus this does.
 */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;
/** In a batch of several, a record's offset and timestamp deltas take a few bytes more than alone. */
const RECORD_DELTA_SLACK_BYTES = 12;

/** The size of one record as kafkajs writes it (uncompressed: compression can only make it smaller). */
export function recordSizeBytes(record: KafkaRecord): number {
  return recordSize({ key: record.key, value: record.value, headers: record.headers });
}

/** Does a record fit, alone in its batch, under a topic's `max.message.bytes`? */
export function fitsTopic(recordBytes: number, maxMessageBytes: number): boolean {
  return recordBytes + RECORD_BATCH_OVERHEAD_BYTES <= maxMessageBytes;
}

/** One record to decide on: what the session knows about it. */
export interface Candidate {
  /** The entry's WAL position. */
  lsn: string;
  aggregateType: string | undefined;
  aggregateId: string | undefined;
  topic: string | undefined;
  /** Undefined when the entry could not be encoded (then `invalidReason` says why). */
  record: KafkaRecord | undefined;
  /** `recordSizeBytes(record)`, computed once. */
  bytes: number;
  invalidReason?: string;
}

export type Decision =
  | { kind: 'publish' }
  | { kind: 'dead-letter'; reason: string }
  /** `blocker` is the aggregate's open dead letter: an id already stored, or the index of a dead letter in this batch. */
  | { kind: 'park'; blocker: { id: string } | { index: number } };

/** An aggregate's open dead letter: its id and WAL position. */
export interface OpenRef {
  id: string;
  lsn: bigint;
}

/** The key parking is done by: one aggregate. */
export function aggregateKey(type: string | undefined, id: string | undefined): string | undefined {
  return type === undefined || id === undefined ? undefined : `${type}\u0000${id}`;
}

/**
 * Decides each candidate in order. `open` maps an aggregate key to its open dead letter; an aggregate
 * dead-lettered in this batch parks its later records of the batch behind that one. Only records after the
 * dead letter in the WAL are parked: a session that re-reads from before it (after a failed send) publishes
 * the earlier ones again (duplicates, in order) and finds the dead letter itself already recorded.
 */
export function decide(
  candidates: readonly Candidate[],
  maxMessageBytes: (topic: string) => number,
  open: ReadonlyMap<string, OpenRef>,
): Decision[] {
  const openHere = new Map<string, number>();
  return candidates.map((candidate, index): Decision => {
    const key = aggregateKey(candidate.aggregateType, candidate.aggregateId);
    const stored = key === undefined ? undefined : open.get(key);
    if (stored !== undefined && parseLsn(candidate.lsn) > stored.lsn) {
      return { kind: 'park', blocker: { id: stored.id } };
    }
    const here = key === undefined ? undefined : openHere.get(key);
    if (here !== undefined) return { kind: 'park', blocker: { index: here } };
    const reason = refusal(candidate, maxMessageBytes);
    if (reason === undefined) return { kind: 'publish' };
    if (key !== undefined) openHere.set(key, index);
    return { kind: 'dead-letter', reason };
  });
}

/** Why Kafka can never accept this record, or undefined when it can. */
function refusal(candidate: Candidate, maxMessageBytes: (topic: string) => number): string | undefined {
  if (candidate.record === undefined || candidate.topic === undefined) {
    return `invalid: ${candidate.invalidReason ?? 'the entry cannot be encoded'}`;
  }
  const { bytes } = candidate;
  const limit = maxMessageBytes(candidate.topic);
  if (fitsTopic(bytes, limit)) return undefined;
  return `too large: ${bytes} bytes plus ${RECORD_BATCH_OVERHEAD_BYTES} of batch overhead exceed max.message.bytes ${limit} of ${candidate.topic}`;
}

/**
 * Cuts a send into consecutive sends so that no topic's records in one send exceed its limit (a partition's
 * records travel as one record batch, and a partition's records are a subset of its topic's). Order within
 * each topic is kept; the sends go one after the other.
 */
export function splitBySize<T>(
  records: readonly { topic: string; bytes: number; item: T }[],
  maxMessageBytes: (topic: string) => number,
): T[][] {
  const sends: T[][] = [];
  let current: T[] = [];
  let used = new Map<string, number>();
  for (const { topic, bytes, item } of records) {
    const limit = maxMessageBytes(topic) - RECORD_BATCH_OVERHEAD_BYTES;
    const after = (used.get(topic) ?? 0) + bytes + RECORD_DELTA_SLACK_BYTES;
    if (current.length > 0 && after > limit) {
      sends.push(current);
      current = [];
      used = new Map();
    }
    current.push(item);
    used.set(topic, (used.get(topic) ?? 0) + bytes + RECORD_DELTA_SLACK_BYTES);
  }
  if (current.length > 0) sends.push(current);
  return sends;
}
