import type { Executor } from '../db/executor';
import type { AppendInput } from '../eventstore/append';
import { pendingEvents } from '../eventstore/append';
import { APPEND_GROUP_SQL, appendGroupParams } from '../eventstore/group-append';
import type { OutboxEntries } from '../eventstore/store';
import type { OutboxMode } from '../outbox/types';
import { deleteOutbox } from '../outbox/write-table';

/**
 * Creates the streams of a chunk's rows with their import events and outbox entries, in ONE statement in the
 * caller's transaction (the group append's, every stream expected `no_stream`): a stream that exists already,
 * imported by an earlier run or started by the subscriber, is left alone, and so are its events. A stream
 * another transaction is creating (the subscriber's, not committed yet) makes the statement wait for it, then
 * counts as existing when that one commits, as new when it rolls back. Returns the ids of the streams created.
 *
 * `table-transient` writes the outbox rows and deletes them in the same transaction, as the store does.
 */
export async function importStreams(
  executor: Executor,
  mode: OutboxMode,
  inputs: readonly AppendInput[],
  outbox: OutboxEntries,
): Promise<Set<string>> {
  if (inputs.length === 0) return new Set();
  const groupMode = mode === 'message' ? 'message' : 'table';
  const appends = inputs.map((input) => {
    const events = pendingEvents(input, 0);
    return { input, from: 0, events, entries: outbox(events) };
  });
  const rows = await executor.query<{ stream_id: string }>(
    APPEND_GROUP_SQL[groupMode],
    appendGroupParams(groupMode, appends),
  );
  const created = new Set(rows.map((row) => row.stream_id));
  if (mode === 'table-transient') {
    const entries = appends.filter((a) => created.has(a.input.streamId)).flatMap((a) => a.entries);
    if (entries.length > 0) await deleteOutbox(executor, entries);
  }
  return created;
}
