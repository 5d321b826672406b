import type { Executor } from '../db/executor';
import { OUTBOX_MESSAGE_PREFIX, type OutboxEntry } from './types';

/**
 * Writes each entry as a transactional logical message: decoded at commit, dropped on rollback, and no table
 * row to bloat or prune. The content is the entry as JSON (same fields as an outbox row). Parameters from
 * $`first`: the prefix and the contents (`outboxMessageParams`). With `gate`, a relation of the same statement
 * (the append's `moved`), messages are emitted only when it has a row. This is a select, not a
 * data-modifying statement: a statement that embeds it as a CTE must read its one row, or PostgreSQL never
 * runs it.
 */
export const emitOutboxMessagesSql = (first: number, gate?: string) => `
select count(pg_logical_emit_message(true, $${first}, content)) as emitted
from ${gate ? `${gate}, ` : ''}unnest($${first + 1}::text[]) as content`;

export const EMIT_OUTBOX_MESSAGES_SQL = emitOutboxMessagesSql(1);

/** The prefix and the message contents of `emitOutboxMessagesSql`. */
export function outboxMessageParams(entries: readonly OutboxEntry[]): unknown[] {
  return [OUTBOX_MESSAGE_PREFIX, entries.map((entry) => JSON.stringify(entry))];
}

export async function emitOutboxMessages(executor: Executor, entries: readonly OutboxEntry[]): Promise<void> {
  await executor.query(EMIT_OUTBOX_MESSAGES_SQL, outboxMessageParams(entries));
}
