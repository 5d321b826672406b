import type { Executor } from '../db/executor';

/**
 * The replication slot and publication the relay reads through. Both are created when missing, so a fresh
 * database needs nothing by hand; the slot is dropped only by an explicit `relay slot drop`.
 */

export const PUBLICATION_EXISTS_SQL = `select 1 from pg_publication where pubname = $1`;
/** Identifiers cannot be bound as parameters; names are validated by the config parser (lowercase, digits, _). */
export const createPublicationSql = (publication: string, table: string) =>
  `create publication ${publication} for table ${table} with (publish = 'insert')`;

export const SLOT_EXISTS_SQL = `select plugin from pg_replication_slots where slot_name = $1`;
export const CREATE_SLOT_SQL = `select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')`;
export const DROP_SLOT_SQL = `select pg_drop_replication_slot($1)`;

/** Lag in bytes and the settings that decide whether an abandoned slot can fill the disk. */
export const SLOT_STATUS_SQL = `
select s.slot_name, s.active, s.active_pid, s.confirmed_flush_lsn::text as confirmed_flush_lsn,
       s.wal_status, s.safe_wal_size,
       pg_current_wal_lsn()::text as current_lsn,
       greatest(0, pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn))::bigint as lag_bytes,
       current_setting('max_slot_wal_keep_size') as max_slot_wal_keep_size,
       extract(epoch from r.flush_lag)::float8 as flush_lag_seconds
from pg_replication_slots s
left join pg_stat_replication r on r.pid = s.active_pid
where s.slot_name = $1`;

/**
 * Ends the server process still streaming `slot` for a session of this relay that lost its connection (a
 * dead connection is noticed by PostgreSQL only after wal_sender_timeout, and until then the slot is taken).
 * Fenced: only while the advisory lock of the active relay is held by `$2`, this relay's lock connection —
 * then no other relay can be reading the slot. Waits up to 5 s for the process to exit.
 */
export const TERMINATE_STALE_READER_SQL = `
select s.active_pid as pid, pg_terminate_backend(s.active_pid, 5000) as terminated
from pg_replication_slots s
where s.slot_name = $1 and s.active_pid is not null
  and exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted and l.pid = $2)`;

export interface SlotStatus {
  slotName: string;
  active: boolean;
  activePid: number | null;
  confirmedFlushLsn: string | null;
  currentLsn: string;
  lagBytes: number;
  walStatus: string | null;
  safeWalSize: number | null;
  maxSlotWalKeepSize: string;
  /** PostgreSQL's measure of how far behind the relay's confirmations are (null when idle or inactive). */
  flushLagSeconds: number | null;
}

export async function ensurePublication(
  executor: Executor,
  publication: string,
  table: string,
): Promise<boolean> {
  const rows = await executor.query(PUBLICATION_EXISTS_SQL, [publication]);
  if (rows.length > 0) return false;
  await executor.query(createPublicationSql(publication, table));
  return true;
}

/** Creates the slot when missing; returns true when it did. */
export async function ensureSlot(executor: Executor, slot: string): Promise<boolean> {
  const rows = await executor.query<{ plugin: string }>(SLOT_EXISTS_SQL, [slot]);
  if (rows.length > 0) return false;
  await executor.query(CREATE_SLOT_SQL, [slot]);
  return true;
}

export async function dropSlot(executor: Executor, slot: string): Promise<boolean> {
  const rows = await executor.query(SLOT_EXISTS_SQL, [slot]);
  if (rows.length === 0) return false;
  await executor.query(DROP_SLOT_SQL, [slot]);
  return true;
}

export async function slotStatus(executor: Executor, slot: string): Promise<SlotStatus | undefined> {
  const [row] = await executor.query<{
    slot_name: string;
    active: boolean;
    active_pid: number | null;
    confirmed_flush_lsn: string | null;
    current_lsn: string;
    lag_bytes: string | null;
    wal_status: string | null;
    safe_wal_size: string | null;
    max_slot_wal_keep_size: string;
    flush_lag_seconds: number | null;
  }>(SLOT_STATUS_SQL, [slot]);
  if (!row) return undefined;
  return {
    slotName: row.slot_name,
    active: row.active,
    activePid: row.active_pid,
    confirmedFlushLsn: row.confirmed_flush_lsn,
    currentLsn: row.current_lsn,
    lagBytes: Number(row.lag_bytes ?? 0),
    walStatus: row.wal_status,
    safeWalSize: row.safe_wal_size === null ? null : Number(row.safe_wal_size),
    maxSlotWalKeepSize: row.max_slot_wal_keep_size,
    flushLagSeconds: row.flush_lag_seconds,
  };
}

/** See TERMINATE_STALE_READER_SQL; returns the pid it ended, if any. */
export async function terminateStaleReader(
  executor: Executor,
  slot: string,
  lockBackendPid: number,
): Promise<number | undefined> {
  const [row] = await executor.query<{ pid: number; terminated: boolean }>(TERMINATE_STALE_READER_SQL, [
    slot,
    lockBackendPid,
  ]);
  return row?.terminated ? row.pid : undefined;
}
