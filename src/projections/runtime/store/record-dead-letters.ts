import type { Executor } from '../../../db/executor';
import type { DeadLetter } from '../dead-letter';

/**
 * Records dead letters and parks their aggregates, in one statement. A redelivered batch records nothing
 * twice (unique per projector and Kafka position); an aggregate already parked keeps its first dead letter.
 */
export const RECORD_DEAD_LETTERS_SQL = `
  with letters as (
    insert into projection_dead_letters
      (projector, topic, kafka_partition, kafka_offset, aggregate_id, event_id, stream_version, reason,
       parked_behind, message_key, message_value, message_headers)
    select $1, l.topic, l.kafka_partition, l.kafka_offset, l.aggregate_id, l.event_id, l.stream_version,
           l.reason, l.parked_behind, l.message_key, decode(l.message_value, 'base64'), l.message_headers
      from jsonb_to_recordset($2::jsonb) as l(
             topic text, kafka_partition int, kafka_offset bigint, aggregate_id text, event_id text,
             stream_version int, reason text, parked_behind text, message_key text, message_value text,
             message_headers jsonb)
    on conflict (projector, topic, kafka_partition, kafka_offset) do nothing
    returning id, aggregate_id
  )
  insert into projection_parked (projector, aggregate_id, first_dead_letter)
  select $1, aggregate_id, min(id) from letters where aggregate_id is not null group by aggregate_id
  on conflict (projector, aggregate_id) do nothing`;

export async function recordDeadLetters(
  executor: Executor,
  projector: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const rows = letters.map((letter) => ({
    topic: letter.position.topic,
    kafka_partition: letter.position.partition,
    kafka_offset: letter.position.offset,
    aggregate_id: letter.aggregateId,
    event_id: letter.eventId,
    stream_version: letter.version,
    reason: letter.reason,
    parked_behind: letter.parkedBehind,
    message_key: letter.key,
    message_value: letter.value === null ? null : letter.value.toString('base64'),
    message_headers: letter.headers,
  }));
  await executor.query(RECORD_DEAD_LETTERS_SQL, [projector, JSON.stringify(rows)]);
}
