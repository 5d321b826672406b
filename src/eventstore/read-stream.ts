import type { Executor } from '../db/executor';
import { EVENT_COLUMNS, EventRow, toStoredEvent } from './rows';
import type { StoredEvent } from './types';
import type { Upcast } from './upcast';

/**
 * One stream's events in version order, optionally between two versions and up to a business time
 * (`asOf`: events that occurred at or before it).
 */
export const READ_STREAM_SQL = `
select ${EVENT_COLUMNS}
from events
where stream_id = $1
  and stream_version >= $2
  and ($3::bigint is null or stream_version <= $3)
  and ($4::timestamptz is null or occurred_at <= $4)
order by stream_version`;

export interface ReadStreamOptions {
  /** First version to read (default 1). */
  fromVersion?: number;
  /** Last version to read (default: the newest). */
  toVersion?: number;
  /** Only events that occurred at or before this time. */
  asOf?: Date;
}

export async function readStream(
  executor: Executor,
  upcast: Upcast,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<StoredEvent[]> {
  const rows = await executor.query<EventRow>(READ_STREAM_SQL, [
    streamId,
    options.fromVersion ?? 1,
    options.toVersion ?? null,
    options.asOf?.toISOString() ?? null,
  ]);
  return rows.map((row) => upcast(toStoredEvent(row)));
}
