import { randomBytes } from 'node:crypto';
import type { Batch, Kafka } from 'kafkajs';
import type { PoolClient } from 'pg';
import { topicPerAggregateType, VERIFY_GROUP_PREFIX } from '../contracts';
import { emptyCheck, MAX_PROBLEMS_LISTED, type CheckResult, type Problem, type VerifyWindow } from './types';

/**
 * Every event in the store has its CloudEvent on Kafka (by id), nothing on Kafka is unknown to the store,
 * and per aggregate the versions first appear in order. Kafka's messages are streamed once into a temporary
 * table on `client`'s session and compared there, so memory stays bounded whatever the store's size.
 */

export const CREATE_SCAN_TABLE_SQL = `
  create temporary table if not exists verify_kafka (
    event_id text, aggregate_id text, topic text, kafka_partition int, kafka_offset bigint, sequence bigint
  ) on commit preserve rows`;

const INSERT_SCAN_SQL = `
  insert into verify_kafka
  select * from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[])`;

const STREAM_TYPES_SQL = `select distinct stream_type from events`;

/** Store events of the window without a message on Kafka. */
const MISSING_SQL = `
  select e.event_id::text as id, e.stream_id, e.stream_version::int as version
    from events e
   where ($1::timestamptz is null or e.recorded_at >= $1) and e.stream_type = any($2::text[])
     and not exists (select 1 from verify_kafka k where k.event_id = e.event_id::text)
   order by e.global_position`;

const COUNT_WINDOW_SQL = `
  select count(*)::int as n from events e
   where ($1::timestamptz is null or e.recorded_at >= $1) and e.stream_type = any($2::text[])`;

/** Messages whose CloudEvent id names no event in the store. */
const UNEXPECTED_SQL = `
  select k.event_id as id, k.topic, k.kafka_partition, k.kafka_offset from verify_kafka k
   where k.event_id is null or not exists (select 1 from events e where e.event_id::text = k.event_id)
   order by k.topic, k.kafka_partition, k.kafka_offset`;

const DUPLICATES_SQL = `select (count(*) - count(distinct event_id))::int as n from verify_kafka`;

/**
 * A version that first appears on Kafka after a higher version of the same aggregate: the order broke.
 * (A version appearing again later is a redelivery, not a break, so only first appearances count.)
 */
const OUT_OF_ORDER_SQL = `
  with firsts as (
    select topic, aggregate_id, sequence, min(kafka_offset) as first_offset
      from verify_kafka where sequence is not null group by topic, aggregate_id, sequence
  ), ordered as (
    select topic, aggregate_id, sequence,
           max(sequence) over (partition by topic, aggregate_id order by first_offset
                               rows between unbounded preceding and 1 preceding) as highest_before
      from firsts
  )
  select aggregate_id as id, sequence, highest_before from ordered where highest_before > sequence`;

export async function checkKafka(
  client: PoolClient,
  kafka: Kafka,
  topicPrefix: string,
  window: VerifyWindow,
): Promise<{ result: CheckResult; problems: Problem[] }> {
  const types = await fillScanTable(client, kafka, topicPrefix, window);
  const compared = await compareScan(client, window, types);
  await client.query('truncate verify_kafka');
  return compared;
}

/** Streams the topics of the store's stream types into `verify_kafka`; returns those stream types. */
async function fillScanTable(
  client: PoolClient,
  kafka: Kafka,
  topicPrefix: string,
  window: VerifyWindow,
): Promise<string[]> {
  await client.query(CREATE_SCAN_TABLE_SQL);
  await client.query('truncate verify_kafka');
  const types = (await client.query<{ stream_type: string }>(STREAM_TYPES_SQL)).rows.map(
    (r) => r.stream_type,
  );
  const route = topicPerAggregateType(topicPrefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = types.map((type) => route({ aggregateType: type })).filter((t) => existing.has(t));
    for (const topic of topics) await scanTopic(client, kafka, admin, topic, window);
  } finally {
    await admin.disconnect();
  }
  await client.query('analyze verify_kafka');
  return types;
}

const CHECK = 'events → Kafka';

/** Compares what was scanned with the store's events of the window. */
async function compareScan(
  client: PoolClient,
  window: VerifyWindow,
  types: string[],
): Promise<{ result: CheckResult; problems: Problem[] }> {
  const since = window.since?.toISOString() ?? null;
  const count = async (sql: string, params: unknown[] = []) =>
    (await client.query<{ n: number }>(sql, params)).rows[0]!.n;
  const checked = await count(COUNT_WINDOW_SQL, [since, types]);
  const missing = (
    await client.query<{ id: string; stream_id: string; version: number }>(MISSING_SQL, [since, types])
  ).rows;
  const unexpected = (
    await client.query<{ id: string | null; topic: string; kafka_partition: number; kafka_offset: string }>(
      UNEXPECTED_SQL,
    )
  ).rows;
  const absorbed = await count(DUPLICATES_SQL);
  const outOfOrder = (
    await client.query<{ id: string; sequence: string; highest_before: string }>(OUT_OF_ORDER_SQL)
  ).rows;
  const problems = [
    ...firstProblems(missing, 'missing', (row) => ({
      id: row.id,
      detail: `${row.stream_id} version ${row.version} is not on Kafka`,
    })),
    ...firstProblems(unexpected, 'unexpected', (row) => ({
      id: row.id ?? '(no ce_id)',
      detail: `${row.topic}/${row.kafka_partition}@${row.kafka_offset} names no event in the store`,
    })),
    ...firstProblems(outOfOrder, 'out-of-order', (row) => ({
      id: row.id,
      detail: `version ${row.sequence} first appeared after version ${row.highest_before}`,
    })),
  ];
  return {
    result: {
      ...emptyCheck(CHECK),
      checked,
      missing: missing.length,
      unexpected: unexpected.length,
      absorbed,
      outOfOrder: outOfOrder.length,
    },
    problems,
  };
}

/** The first rows of one kind as problems (the result counts them all). */
function firstProblems<Row>(
  rows: Row[],
  kind: Problem['kind'],
  describe: (row: Row) => { id: string; detail: string },
): Problem[] {
  return rows.slice(0, MAX_PROBLEMS_LISTED).map((row) => ({ check: CHECK, kind, ...describe(row) }));
}

/** Where a topic's scan starts and ends per partition, and the partitions with anything to read. */
interface ScanRange {
  start: Map<number, bigint>;
  end: Map<number, bigint>;
  pending: Set<number>;
}

/** From the window's start (or the low watermarks) to the high watermarks read now. */
async function scanRange(
  admin: ReturnType<Kafka['admin']>,
  topic: string,
  window: VerifyWindow,
): Promise<ScanRange> {
  const highs = await admin.fetchTopicOffsets(topic);
  const starts = window.since
    ? await admin.fetchTopicOffsetsByTimestamp(topic, window.since.getTime() - 1_000)
    : highs.map((p) => ({ partition: p.partition, offset: p.low }));
  const start = new Map(starts.map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]));
  const end = new Map(highs.map((p) => [p.partition, BigInt(p.high)]));
  const pending = new Set(
    highs
      .filter((p) => (start.get(p.partition) ?? 0n) < BigInt(p.high) && BigInt(p.high) > BigInt(p.low))
      .map((p) => p.partition),
  );
  return { start, end, pending };
}

/** Streams one topic (from the window's start to the high watermarks read now) into `verify_kafka`. */
async function scanTopic(
  client: PoolClient,
  kafka: Kafka,
  admin: ReturnType<Kafka['admin']>,
  topic: string,
  window: VerifyWindow,
): Promise<number> {
  const range = await scanRange(admin, topic, window);
  if (range.pending.size === 0) return 0;
  const groupId = `${VERIFY_GROUP_PREFIX}${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4_194_304 });
  let count = 0;
  let failure: unknown;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    // Skip straight to the window's start instead of reading the whole topic (seek works once joined).
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of range.start) {
        consumer.seek({ topic, partition, offset: offset.toString() });
      }
    });
    await new Promise<void>((resolve, reject) => {
      void consumer
        .run({
          eachBatchAutoResolve: true,
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            try {
              count += await storeScanned(client, topic, batch, range);
              if (range.pending.size === 0) resolve();
            } catch (error) {
              reject(error);
            }
          },
        })
        .catch(reject);
    });
  } catch (error) {
    failure = error;
  } finally {
    // Cleanup must not hide the scan's own failure; a group left behind holds no data and expires.
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  if (failure) throw failure;
  return count;
}

/**
 * A record's CloudEvent `id` and `sequence`: from the `ce_` headers in binary mode, from the JSON value in
 * structured mode (`content-type: application/cloudevents+json`). Undefined where the record has none.
 */
function idAndSequenceOf(message: Batch['messages'][number]): { id?: string; sequence?: string } {
  const headers = message.headers ?? {};
  const contentType = headers['content-type']?.toString() ?? '';
  if (headers.ce_id !== undefined || !contentType.startsWith('application/cloudevents+json')) {
    return { id: headers.ce_id?.toString(), sequence: headers.ce_sequence?.toString() };
  }
  try {
    const event = JSON.parse(message.value?.toString() ?? '') as { id?: unknown; sequence?: unknown };
    return {
      id: typeof event.id === 'string' ? event.id : undefined,
      sequence: typeof event.sequence === 'string' ? event.sequence : undefined,
    };
  } catch {
    return {}; // not JSON: reported like a record without an id
  }
}

/** Inserts a batch's messages within the range; a partition read up to its end is no longer pending. */
async function storeScanned(
  client: PoolClient,
  topic: string,
  batch: Batch,
  { start, end, pending }: ScanRange,
): Promise<number> {
  const from = start.get(batch.partition) ?? 0n;
  const until = end.get(batch.partition) ?? 0n;
  const rows: [string | null, string | null, string, number, string, string | null][] = [];
  for (const message of batch.messages) {
    const offset = BigInt(message.offset);
    if (offset < from || offset >= until) continue;
    const { id, sequence } = idAndSequenceOf(message);
    rows.push([
      id ?? null,
      message.key?.toString() ?? null,
      topic,
      batch.partition,
      message.offset,
      sequence !== undefined && /^[0-9]{1,18}$/.test(sequence) ? sequence : null,
    ]);
  }
  if (rows.length > 0) {
    await client.query(
      INSERT_SCAN_SQL,
      [0, 1, 2, 3, 4, 5].map((i) => rows.map((row) => row[i])),
    );
  }
  const last = BigInt(batch.messages.at(-1)?.offset ?? '-1');
  if (last + 1n >= until) pending.delete(batch.partition);
  return rows.length;
}
