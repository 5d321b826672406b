import type { Executor } from '../db/executor';
import { OUTBOX_MESSAGE_PREFIX, type OutboxEntry } from './types';

/**
 * Writes each entry as a transactional logical message: decoded at commit, dropped on rollback, and no table
 * row to bloat or prune. The content is the entry as JSON (same fields as an outbox row).
 */
export const EMIT_OUTBOX_MESSAGES_SQL = `
select count(pg_logical_emit_message(true, $1, content)) as emitted from unnest($2::text[]) as content`;

export async function emitOutboxMessages(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(EMIT_OUTBOX_MESSAGES_SQL, [
    OUTBOX_MESSAGE_PREFIX,
    entries.map((entry) => JSON.stringify(entry)),
  ]);
}
