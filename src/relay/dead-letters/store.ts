import type { Pool } from 'pg';
import { pgExecutor, type Executor } from '../../db/executor';
import { parseLsn } from '../lsn';
import { aggregateKey, type OpenRef } from './policy';

/**
 * The relay's writes to `relay_dead_letters` (its only writable table). A batch's dead letters and parked
 * records are written in one transaction, before Kafka sees the batch and so before the slot is confirmed
 * past them. The open dead letters the batch parks behind are locked FOR SHARE first: `tributary relay
 * dead-letters replay|skip` locks its dead letter FOR UPDATE, so a record is never parked behind a dead letter
 * being resolved (it is then published instead).
 */

/** One row to write. `blockedBy` set: parked behind that dead letter (an id, or the index of a row of this write). */
export interface DeadLetterRow {
  lsn: string;
  commitLsn: string;
  eventId: string | undefined;
  aggregateType: string | undefined;
  aggregateId: string | undefined;
  streamVersion: number | undefined;
  topic: string | undefined;
  reason: string;
  recordKey: string | undefined;
  payload: Buffer | undefined;
  headers: Record<string, string>;
  blockedBy?: { id: string } | { index: number };
}

export interface DeadLetterStore {
  /** The open dead letters of the slot, by aggregate key (see `aggregateKey`). */
  open(): Promise<Map<string, OpenRef>>;
  /**
   * In one transaction: which of `blockers` are still open (locked until commit), then `write(stillOpen)`'s rows.
   * Returns the ids of the rows written, in order (a row already there from an earlier read keeps its id).
   */
  record(blockers: string[], write: (stillOpen: Set<string>) => DeadLetterRow[]): Promise<string[]>;
}

export const SELECT_OPEN_SQL = `
  select id::text as id, lsn::text as lsn, aggregate_type, aggregate_id from relay_dead_letters
  where slot = $1 and status = 'parked' and blocked_by is null and aggregate_id is not null`;

export const LOCK_OPEN_SQL = `
  select id::text as id from relay_dead_letters
  where id = any($1::bigint[]) and status = 'parked' and blocked_by is null
  for share`;

// On a re-read (a session that failed after this write), the row is there already: keep it, return its id.
export const INSERT_SQL = `
  insert into relay_dead_letters
    (slot, lsn, commit_lsn, event_id, aggregate_type, aggregate_id, stream_version, topic, reason,
     record_key, payload, headers, blocked_by)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
  on conflict (slot, lsn) do update set slot = excluded.slot
  returning id::text as id`;

export function deadLetterStore(pool: Pool, slot: string): DeadLetterStore {
  return {
    async open() {
      const rows = await pgExecutor(pool).query<{
        id: string;
        lsn: string;
        aggregate_type: string;
        aggregate_id: string;
      }>(SELECT_OPEN_SQL, [slot]);
      return new Map(
        rows.map((row) => [
          aggregateKey(row.aggregate_type, row.aggregate_id)!,
          { id: row.id, lsn: parseLsn(row.lsn) },
        ]),
      );
    },
    async record(blockers, write) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const executor = pgExecutor(client);
        const locked = await executor.query<{ id: string }>(LOCK_OPEN_SQL, [blockers]);
        const ids = await insertRows(executor, slot, write(new Set(locked.map((row) => row.id))));
        await client.query('commit');
        return ids;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

async function insertRows(executor: Executor, slot: string, rows: DeadLetterRow[]): Promise<string[]> {
  const ids: string[] = [];
  for (const row of rows) {
    const blocker = row.blockedBy;
    const blockedBy = blocker === undefined ? null : 'id' in blocker ? blocker.id : ids[blocker.index];
    const [inserted] = await executor.query<{ id: string }>(INSERT_SQL, [
      slot,
      row.lsn,
      row.commitLsn,
      row.eventId ?? null,
      row.aggregateType ?? null,
      row.aggregateId ?? null,
      row.streamVersion ?? null,
      row.topic ?? null,
      row.reason,
      row.recordKey ?? null,
      row.payload ?? null,
      row.headers,
      blockedBy ?? null,
    ]);
    ids.push(inserted!.id);
  }
  return ids;
}
