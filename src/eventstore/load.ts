import type { Executor } from '../db/executor';
import { readStateRows, type StateRow } from './read-state';
import { toStoredEvent } from './rows';
import type { StoredEvent } from './types';
import type { Upcast } from './upcast';

/** How to rebuild one kind of aggregate from its events. */
export interface Reducer<State> {
  initialState(): State;
  evolve(state: State, event: StoredEvent): State;
  /** Version of `evolve` and of the state's shape; bump it when either changes, and old snapshots are ignored. */
  snapshotVersion: number;
}

export interface LoadOptions {
  /** The state as of this stream version. */
  toVersion?: number;
  /** The state as of this business time (events that occurred at or before it). */
  asOf?: Date;
  /** Start from the latest usable snapshot (default true). The result is the same either way. */
  useSnapshots?: boolean;
}

export interface Loaded<State> {
  state: State;
  /** Version of the last event folded in (0 when none). */
  version: number;
  /** Latest business time among the folded events ('' when none). */
  maxOccurredAt: string;
  /** Events read after the snapshot (or from the start). */
  eventsRead: number;
}

/**
 * Rebuilds a stream's state: the latest snapshot at or before the requested point (built by the current
 * reducer, and only when none of its events occurred after `asOf`), then the events after it.
 */
export async function loadState<State>(
  executor: Executor,
  upcast: Upcast,
  streamId: string,
  reducer: Reducer<State>,
  options: LoadOptions = {},
): Promise<Loaded<State>> {
  const rows = await readStateRows(
    executor,
    streamId,
    options.useSnapshots === false ? -1 : reducer.snapshotVersion,
    options,
  );
  return foldState(rows, upcast, reducer);
}

/** Folds a stream's state rows (`readStateRows`: the snapshot, if any, first, then the events in order). */
export function foldState<State>(rows: StateRow[], upcast: Upcast, reducer: Reducer<State>): Loaded<State> {
  const snapshot = rows[0]?.kind === 0 ? rows[0] : undefined;
  let state = snapshot ? (snapshot.data as State) : reducer.initialState();
  let version = snapshot ? Number(snapshot.stream_version) : 0;
  let maxOccurredAt = snapshot ? snapshot.occurred_at.toISOString() : '';
  const events = (snapshot ? rows.slice(1) : rows).map((row) => upcast(toStoredEvent(row)));
  for (const event of events) {
    state = reducer.evolve(state, event);
    version = event.version;
    if (event.occurredAt > maxOccurredAt) maxOccurredAt = event.occurredAt;
  }
  return { state, version, maxOccurredAt, eventsRead: events.length };
}
