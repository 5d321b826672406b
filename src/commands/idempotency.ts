import { hash } from 'node:crypto';
import type { Executor } from '../db/executor';
import { TributaryError } from '../errors';
import type { CommandResult, IdempotencyScope } from './types';

/**
 * Idempotency keys in PostgreSQL (the IETF Idempotency-Key draft): a key belongs to the principal that sent it
 * and the route it was sent to, and answers a retry of the same request with the stored result until it
 * expires (IDEMPOTENCY_KEY_TTL). The same key with a different request is refused ('input.key_reused', 422).
 * Expired keys are removed when they are used again, and by the API's cleanup job (`deleteExpiredKeys`).
 */

/** A key as stored: its scope and the client's key. */
export interface IdempotentRequest {
  scope: IdempotencyScope;
  key: string;
  /** SHA-256 of what identifies the request (the stream and the command without server-made fields). */
  requestHash: string;
  ttlMs: number;
}

/** The default scope: a command that comes through the library, without an HTTP caller. */
export const NO_SCOPE: IdempotencyScope = { principal: '', route: '' };

export const hashOfRequest = (value: unknown): string => hash('sha256', JSON.stringify(value), 'hex');

/**
 * Requests with the same key run one at a time: without it, a retry racing its original could miss the key
 * (not committed yet) and then load the original's committed events, and be rejected by `decide` instead of
 * replayed.
 */
const LOCK_SQL = `select pg_advisory_xact_lock(hashtextextended($1, 0))`;

/** Finds the live key, deleting it first when it has expired (so the new request can take it). */
const FIND_SQL = `
with expired as (
  delete from idempotency_keys
   where principal = $1 and route = $2 and key = $3 and created_at <= now() - $4 * interval '1 millisecond'
)
select request_hash, response from idempotency_keys
 where principal = $1 and route = $2 and key = $3 and created_at > now() - $4 * interval '1 millisecond'`;

const SAVE_SQL = `
insert into idempotency_keys (principal, route, key, request_hash, stream_id, response)
values ($1, $2, $3, $4, $5, $6)`;

const DELETE_EXPIRED_SQL = `
delete from idempotency_keys
 where ctid = any(array(select ctid from idempotency_keys
                         where created_at <= now() - $1 * interval '1 millisecond' limit $2))
returning 1`;

const CLEANUP_BATCH = 1000;

const lockName = ({ scope, key }: IdempotentRequest) => `${scope.principal}\n${scope.route}\n${key}`;

/**
 * Takes the key's lock for this transaction and returns the stored result of an earlier request with it, if
 * one is live; throws 'input.key_reused' when that request was a different one.
 */
export async function lockAndReplay<View>(
  executor: Executor,
  request: IdempotentRequest,
): Promise<CommandResult<View> | undefined> {
  const { scope, key } = request;
  await executor.query(LOCK_SQL, [lockName(request)]);
  const [row] = await executor.query<{ request_hash: string; response: CommandResult<View> }>(FIND_SQL, [
    scope.principal,
    scope.route,
    key,
    request.ttlMs,
  ]);
  if (!row) return undefined;
  if (row.request_hash !== request.requestHash) {
    throw new TributaryError(
      'input.key_reused',
      `Idempotency-Key ${key} was already used for a different request; use a new key for a new request`,
      { details: { key } },
    );
  }
  return { ...row.response, replayed: true };
}

/** Stores the result under the key, in the transaction that appended its events. */
export async function saveResult<View>(
  executor: Executor,
  request: IdempotentRequest,
  streamId: string,
  result: CommandResult<View>,
): Promise<void> {
  const { scope, key } = request;
  await executor.query(SAVE_SQL, [
    scope.principal,
    scope.route,
    key,
    request.requestHash,
    streamId,
    JSON.stringify(result),
  ]);
}

/** Deletes up to `batch` expired keys; returns how many it deleted. */
export async function deleteExpiredKeys(
  executor: Executor,
  ttlMs: number,
  batch = CLEANUP_BATCH,
): Promise<number> {
  const rows = await executor.query(DELETE_EXPIRED_SQL, [ttlMs, batch]);
  return rows.length;
}

export interface KeyCleanupOptions {
  ttlMs: number;
  /** Time between two runs; 0 starts no job. */
  intervalMs: number;
  /** Called after a run that deleted keys, and with a run's failure (the job goes on at the next interval). */
  onDeleted: (count: number) => void;
  onError: (error: unknown) => void;
}

/** At most this many batches per run, so one run cannot hold a connection for long. */
const MAX_BATCHES_PER_RUN = 100;

/**
 * The cleanup job of an API process: every `intervalMs`, deletes expired keys in batches of 1,000 until none
 * is left (or MAX_BATCHES_PER_RUN). Several API processes may run it at once: each batch deletes rows by
 * their ctid, so they only share the work. `stop` waits for a run in progress.
 */
export function startKeyCleanup(executor: Executor, options: KeyCleanupOptions): { stop(): Promise<void> } {
  if (options.intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const count = await deleteExpiredKeys(executor, options.ttlMs);
      deleted += count;
      if (count < CLEANUP_BATCH) break;
    }
    if (deleted > 0) options.onDeleted(deleted);
  };
  const timer = setInterval(() => {
    running = running.then(run).catch(options.onError);
  }, options.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
