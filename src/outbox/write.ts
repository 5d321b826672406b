import type { Executor } from '../db/executor';
import { emitOutboxMessages } from './emit-messages';
import type { OutboxEntry, OutboxMode } from './types';
import { deleteOutbox, insertOutbox } from './write-table';

/** Writes outbox entries in the caller's transaction, in the configured mode. */
export async function writeOutbox(
  executor: Executor,
  mode: OutboxMode,
  entries: readonly OutboxEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  switch (mode) {
    case 'table':
      return insertOutbox(executor, entries);
    case 'table-transient':
      await insertOutbox(executor, entries);
      return deleteOutbox(executor, entries);
    case 'message':
      return emitOutboxMessages(executor, entries);
  }
}
