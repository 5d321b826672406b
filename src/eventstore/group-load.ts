import type { Executor } from '../db/executor';
import { createGrouping } from '../db/grouping';
import { toTributaryError } from '../errors';
import { foldState, loadState, Loaded, Reducer } from './load';
import type { StateRow } from './read-state';
import type { Upcast } from './upcast';

/**
 * Grouped loads of current state, the read half of group commit: loads that arrive while one is being read go
 * together as one statement (`READ_STATES_SQL`), one round trip for all of them. A load that finds nothing in
 * flight goes at once, by `loadState`'s own statement. Only loads of the current state are grouped (no
 * `toVersion`, `asOf`, or load without snapshots): the command path's. Every load of a group reads the same
 * database snapshot, taken after the group before it answered, so a load still sees every append that
 * committed before it was asked for.
 */

/**
 * `READ_STATE_SQL` for many streams: $1 the stream ids, $2 the snapshot version usable for each. Rows carry
 * `i`, the 1-based index of the request they answer (a stream may be asked for twice), in request order, each
 * request's rows as `readStateRows` returns them. Each request reads its stream through LATERAL lookups
 * keyed by its stream id, so the plan is index lookups per request whatever the tables' size was when the
 * prepared statement was planned (a join here once got a hash join over a sequential scan of `events`,
 * planned while the table was empty and kept as the connection's generic plan).
 */
const LATEST_SNAPSHOT = `(
  select stream_version, state, max_occurred_at from snapshots
  where stream_id = r.stream_id and snapshot_version = r.snapshot_version
  order by stream_version desc
  limit 1
)`;

export const READ_STATES_SQL = `
with req as (
  select * from unnest($1::text[], $2::int[]) with ordinality as r(stream_id, snapshot_version, i)
)
select r.i::int as i, 0 as kind, null::text as position, null::text as transaction_id, r.stream_id,
       null::text as stream_type, s.stream_version, null::uuid as event_id, null::text as event_type,
       null::int as schema_version, s.state as data, null::jsonb as metadata, s.max_occurred_at as occurred_at,
       null::timestamptz as recorded_at
from req r
cross join lateral ${LATEST_SNAPSHOT} s
union all
select r.i::int, 1, e.global_position::text, e.transaction_id::text, e.stream_id, e.stream_type, e.stream_version,
       e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.occurred_at, e.recorded_at
from req r
left join lateral ${LATEST_SNAPSHOT} s on true
cross join lateral (
  select * from events
  where stream_id = r.stream_id and stream_version > coalesce(s.stream_version, 0)
  offset 0
) e
order by i, kind, stream_version`;

interface Waiting {
  streamId: string;
  reducer: Reducer<unknown>;
  resolve(loaded: Loaded<unknown>): void;
  reject(error: unknown): void;
}

export interface GroupLoader {
  /** `loadState` of the current state, grouped with concurrent loads. */
  load<State>(streamId: string, reducer: Reducer<State>): Promise<Loaded<State>>;
}

/**
 * A group loader reading through `executor`; `maxGroup` bounds the loads of one statement, `inFlight` the
 * statements sent at a time.
 */
export function createGroupLoader(
  executor: Executor,
  upcast: Upcast,
  maxGroup: number,
  inFlight = 1,
): GroupLoader {
  const alone = (waiting: Waiting) =>
    loadState(executor, upcast, waiting.streamId, waiting.reducer).then(waiting.resolve, (error) =>
      waiting.reject(toTributaryError(error)),
    );

  async function readGroup(group: Waiting[]): Promise<void> {
    const rows = await executor.query<StateRow & { i: number }>(READ_STATES_SQL, [
      group.map((waiting) => waiting.streamId),
      group.map((waiting) => waiting.reducer.snapshotVersion),
    ]);
    const byRequest: StateRow[][] = group.map(() => []);
    for (const row of rows) byRequest[row.i - 1]!.push(row);
    for (const [index, waiting] of group.entries()) {
      try {
        waiting.resolve(foldState(byRequest[index]!, upcast, waiting.reducer));
      } catch (error) {
        waiting.reject(toTributaryError(error)); // an event this code cannot fold fails its own load only
      }
    }
  }

  const grouping = createGrouping<Waiting>({
    max: maxGroup,
    inFlight,
    send: (group) => (group.length === 1 ? alone(group[0]!) : readGroup(group)),
    fail: (waiting, error) => waiting.reject(toTributaryError(error)),
  });

  return {
    load<State>(streamId: string, reducer: Reducer<State>) {
      return new Promise<Loaded<State>>((resolve, reject) => {
        grouping.add({
          streamId,
          reducer: reducer as Reducer<unknown>,
          resolve: resolve as (loaded: Loaded<unknown>) => void,
          reject,
        });
      });
    },
  };
}
