import type { Loaded } from '../eventstore';

/**
 * The command side's memory of the aggregates it wrote last: each stream's state and version after this
 * process's latest successful append to it. A command on a stream found here is decided without loading the
 * stream, saving a round trip to PostgreSQL; a command on a stream not found here is first decided against
 * the initial state at version 0, which is right for every command that creates a stream, and saves that
 * round trip too.
 *
 * What is remembered is only ever a guess, never an answer: the append that follows is conditional on the
 * version the guess was made at, so a guess that is stale (another process wrote the stream since) or wrong
 * (the stream already exists) fails as a version conflict and nothing is written. Then, and whenever a guess
 * leads anywhere but a successful append (a business-rule violation, a command that changes nothing, an
 * If-Match for another version), the handler forgets the guess and decides again on the stream as loaded
 * (src/commands/handle.ts). A guess thus decides which events to try, and never what a client is told.
 *
 * Entries are kept per stream for the reducer version they were built with; the least recently used go first
 * beyond `capacity` (0: remember nothing, always load).
 */

/** A stream's state as `load` gives it (src/eventstore/load.ts), less what the load read. */
export type CachedState<State> = Pick<Loaded<State>, 'state' | 'version' | 'maxOccurredAt'>;

export interface StateCache {
  get<State>(streamId: string, reducerVersion: number): CachedState<State> | undefined;
  set<State>(streamId: string, reducerVersion: number, entry: CachedState<State>): void;
  forget(streamId: string): void;
  readonly size: number;
}

interface Entry {
  reducerVersion: number;
  cached: CachedState<unknown>;
}

export function createStateCache(capacity: number): StateCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, Entry>();
  return {
    get<State>(streamId: string, reducerVersion: number) {
      const entry = entries.get(streamId);
      if (entry === undefined) return undefined;
      if (entry.reducerVersion !== reducerVersion) {
        entries.delete(streamId);
        return undefined;
      }
      entries.delete(streamId);
      entries.set(streamId, entry);
      return entry.cached as CachedState<State>;
    },
    set(streamId, reducerVersion, cached) {
      if (capacity <= 0) return;
      entries.delete(streamId);
      entries.set(streamId, { reducerVersion, cached });
      while (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
    forget(streamId) {
      entries.delete(streamId);
    },
    get size() {
      return entries.size;
    },
  };
}
