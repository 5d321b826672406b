import type { Executor } from '../db/executor';
import { EVENT_COLUMNS, type EventRow, toStoredEvent } from './rows';
import type { StoredEvent } from './types';
import type { Upcast } from './upcast';

/** The events of several streams in one statement: ordered by stream id, each stream's in version order. */
export const READ_STREAMS_SQL = `
select ${EVENT_COLUMNS} from events
 where stream_id = any($1::text[])
 order by stream_id, stream_version`;

/** Every event of the streams `streamIds`, upcast, grouped by stream (in id order) and in version order. */
export async function readStreams(
  executor: Executor,
  upcast: Upcast,
  streamIds: readonly string[],
): Promise<StoredEvent[]> {
  if (streamIds.length === 0) return [];
  const rows = await executor.query<EventRow>(READ_STREAMS_SQL, [streamIds]);
  return rows.map((row) => upcast(toStoredEvent(row)));
}
