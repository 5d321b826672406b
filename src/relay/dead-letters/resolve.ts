import type { Pool, PoolClient } from 'pg';
import { pgExecutor, type Executor } from '../../db/executor';
import { TributaryError } from '../../errors';
import type { Publisher } from '../publisher';

/**
 * What `tributary relay dead-letters list|replay|skip` does. A dead letter is resolved in one transaction that
 * locks it FOR UPDATE (the relay parks behind it only while it holds it FOR SHARE and finds it open, see
 * store.ts), publishes, then marks the rows: a crash in between leaves them open, and a replay again publishes
 * duplicates, never a gap (consumers are idempotent by event id).
 */

export interface OpenDeadLetter {
  id: string;
  lsn: string;
  eventId: string | null;
  aggregate: string | null;
  topic: string | null;
  reason: string;
  parked: number;
  createdAt: Date;
}

export const LIST_SQL = `
  select d.id::text as id, d.lsn::text as lsn, d.event_id, d.topic, d.reason, d.created_at,
         d.aggregate_type || '/' || d.aggregate_id as aggregate,
         (select count(*)::int from relay_dead_letters p where p.blocked_by = d.id and p.status = 'parked') as parked
  from relay_dead_letters d
  where d.slot = $1 and d.status = 'parked' and d.blocked_by is null
  order by d.id`;

export const LOCK_SQL = `
  select id::text as id, topic, record_key, payload, headers, reason from relay_dead_letters
  where slot = $1 and id = $2 and status = 'parked' and blocked_by is null
  for update`;

export const PARKED_SQL = `
  select id::text as id, topic, record_key, payload, headers, reason from relay_dead_letters
  where blocked_by = $1 and status = 'parked'
  order by id`;

export const MARK_SQL = `
  update relay_dead_letters set status = $2, resolved_at = now() where id = any($1::bigint[])`;

interface StoredRecord {
  id: string;
  topic: string | null;
  record_key: string | null;
  payload: Buffer | null;
  headers: Record<string, string>;
  reason: string;
}

/** The slot's open dead letters, oldest first, with how many records each parks. */
export async function listDeadLetters(executor: Executor, slot: string): Promise<OpenDeadLetter[]> {
  const rows = await executor.query<{
    id: string;
    lsn: string;
    event_id: string | null;
    aggregate: string | null;
    topic: string | null;
    reason: string;
    parked: number;
    created_at: Date;
  }>(LIST_SQL, [slot]);
  return rows.map((row) => ({
    id: row.id,
    lsn: row.lsn,
    eventId: row.event_id,
    aggregate: row.aggregate,
    topic: row.topic,
    reason: row.reason,
    parked: row.parked,
    createdAt: row.created_at,
  }));
}

/**
 * Replay: publishes the dead letter and the records parked behind it, in WAL order, and marks them
 * replayed. Skip: marks the dead letter skipped and publishes (replays) only the parked records.
 * Returns how many records were published.
 */
export async function resolveDeadLetter(
  pool: Pool,
  publisher: Publisher,
  { slot, id, action }: { slot: string; id: string; action: 'replay' | 'skip' },
): Promise<number> {
  return inTransaction(pool, async (executor) => {
    const [first] = await executor.query<StoredRecord>(LOCK_SQL, [slot, id]);
    if (!first) {
      throw new TributaryError(
        'input.invalid',
        `no open dead letter ${id} on slot ${slot} (see \`relay dead-letters list\`)`,
      );
    }
    const parked = await executor.query<StoredRecord>(PARKED_SQL, [id]);
    const toPublish = action === 'replay' ? [first, ...parked] : parked;
    // One record per send: each is acknowledged before the next is sent, so order holds whatever the sizes.
    for (const row of toPublish) await publisher.publish([toMessage(row)]);
    if (action === 'skip') await executor.query(MARK_SQL, [[first.id], 'skipped']);
    await executor.query(MARK_SQL, [toPublish.map((row) => row.id), 'replayed']);
    return toPublish.length;
  });
}

function toMessage(row: StoredRecord) {
  if (row.topic === null || row.record_key === null || row.payload === null) {
    throw new TributaryError(
      'input.invalid',
      `dead letter ${row.id} holds no publishable record (${row.reason}): \`relay dead-letters skip\` it`,
    );
  }
  return { topic: row.topic, messages: [{ key: row.record_key, value: row.payload, headers: row.headers }] };
}

async function inTransaction<T>(pool: Pool, work: (executor: Executor) => Promise<T>): Promise<T> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(pgExecutor(client));
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
