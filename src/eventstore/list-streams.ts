import type { Executor } from '../db/executor';

/** The ids of the streams of one type, in id order, a page at a time: for readers that walk every stream. */
export const LIST_STREAMS_SQL = `
select stream_id from streams
 where stream_type = $1 and stream_id > $2
 order by stream_id limit $3`;

/** Up to `limit` stream ids of `streamType` after `after` ('' for the first page), in id order. */
export async function listStreams(
  executor: Executor,
  streamType: string,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = await executor.query<{ stream_id: string }>(LIST_STREAMS_SQL, [streamType, after, limit]);
  return rows.map((row) => row.stream_id);
}
