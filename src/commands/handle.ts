import { createHash } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider';
import { isUniqueViolation, TributaryError } from '../errors';
import type { Executor } from '../db/executor';
import type { EventStore, PendingEvent, Reducer } from '../eventstore';
import { toOutboxEntry, withStateAfter } from '../outbox/mapping';
import type { CachedState, StateCache } from './state-cache';
import type { CommandOptions, CommandResult } from './types';

/**
 * The command handler: load the aggregate, decide (pure), append the events with their outbox entries, all
 * in one transaction. Integration events carry the aggregate's public view after each event (event-carried
 * state transfer). With a state cache (state-cache.ts) the load is skipped when the stream's state can be
 * guessed; the append, conditional on the guessed version, checks the guess.
 */

/** One kind of aggregate as the handler needs it. */
export interface AggregateKind<Command, Event extends DomainEvent, State, View> {
  streamType: string;
  streamId(aggregateId: string): string;
  decider: Decider<Command, Event, State>;
  /** Version of evolve and the state shape, for snapshots. */
  snapshotVersion: number;
  /** Business time of a command: its events' occurred_at. */
  occurredAt(command: Command): string;
  /** The public view of a state; undefined when the aggregate does not exist in that state. */
  view(state: State): View | undefined;
}

export function reducerOf<Command, Event extends DomainEvent, State, View>(
  kind: AggregateKind<Command, Event, State, View>,
): Reducer<State> {
  return {
    initialState: kind.decider.initialState,
    evolve: (state, event) =>
      kind.decider.evolve(state, {
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
      } as Event),
    snapshotVersion: kind.snapshotVersion,
  };
}

/**
 * Requests with the same key run one at a time: without it, a retry racing its original could miss the key
 * (not committed yet) and then load the original's committed events, and be rejected by `decide` instead of
 * replayed.
 */
export const LOCK_IDEMPOTENT_SQL = `select pg_advisory_xact_lock(hashtextextended($1, 0))`;
export const FIND_IDEMPOTENT_SQL = `select request_hash, response from idempotency_keys where key = $1`;
export const SAVE_IDEMPOTENT_SQL = `
insert into idempotency_keys (key, request_hash, stream_id, response) values ($1, $2, $3, $4)`;

/** Without If-Match, a command that lost a race to a concurrent writer is simply decided again. */
const RACE_RETRIES = 3;

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

async function replayed<View>(
  executor: Executor,
  key: string,
  requestHash: string,
): Promise<CommandResult<View> | undefined> {
  const [row] = await executor.query<{ request_hash: string; response: CommandResult<View> }>(
    FIND_IDEMPOTENT_SQL,
    [key],
  );
  if (!row) return undefined;
  if (row.request_hash !== requestHash) {
    throw new TributaryError(
      'input.invalid',
      `Idempotency-Key ${key} was already used for a different request`,
    );
  }
  return { ...row.response, replayed: true };
}

export interface HandlerSettings {
  store: EventStore;
  snapshotEvery: number;
  /** Guesses of streams' states; without one, every command loads its stream. */
  cache?: StateCache;
}

/** A guessed state did not lead to a successful append: forget it and decide on the stream as loaded. */
class GuessFailed extends Error {}

/** Thrown as is, or wrapped by the store's transaction on its way out. */
const guessFailed = (error: unknown) =>
  error instanceof GuessFailed || (error instanceof TributaryError && error.cause instanceof GuessFailed);

/**
 * Executes `command` against the aggregate `aggregateId`. `request` is what identifies a retry of the same
 * request for the idempotency key (the command without its generated time and ids).
 */
export async function handleCommand<Command, Event extends DomainEvent, State, View>(
  settings: HandlerSettings,
  kind: AggregateKind<Command, Event, State, View>,
  aggregateId: string,
  command: Command,
  request: unknown,
  options: CommandOptions = {},
): Promise<CommandResult<View>> {
  const { store, snapshotEvery, cache } = settings;
  const streamId = kind.streamId(aggregateId);
  const reducer = reducerOf(kind);

  /**
   * Load → decide → append. Without an executor nothing here needs a transaction: the append is conditional
   * on the loaded version (optimistic concurrency) and is one statement; the snapshot is written afterwards
   * (it is only a shortcut, and rebuilding it is always possible). With an idempotency key, the key's lookup,
   * the append and the stored result must commit together, so all of it runs in one transaction.
   * From a guessed state (`guessed`), anything but a successful append throws GuessFailed instead.
   */
  const decideAndAppend = async (
    executor: Executor | undefined,
    guessed: CachedState<State> | undefined,
  ): Promise<{ result: CommandResult<View>; after: CachedState<State> }> => {
    const loaded = guessed ?? (await store.load(streamId, reducer, {}, executor));
    if (options.expectedVersion !== undefined && options.expectedVersion !== loaded.version) {
      if (guessed) throw new GuessFailed();
      throw new TributaryError(
        'store.conflict',
        `${kind.streamType} ${aggregateId} is at version ${loaded.version}, the request expected ${options.expectedVersion}`,
        { details: { expected: options.expectedVersion, actual: loaded.version } },
      );
    }
    let decided: Event[];
    try {
      decided = kind.decider.decide(command, loaded.state);
    } catch (error) {
      if (guessed) throw new GuessFailed();
      throw error;
    }
    if (guessed && decided.length === 0) throw new GuessFailed(); // a no-op is an answer: from the stream
    let state = loaded.state;
    let maxOccurredAt = loaded.maxOccurredAt;
    let version = loaded.version;
    if (decided.length > 0) {
      const views: unknown[] = [];
      for (const event of decided) {
        state = kind.decider.evolve(state, event);
        views.push(kind.view(state));
      }
      const appended = await store
        .append(
          {
            streamId,
            streamType: kind.streamType,
            expected: loaded.version,
            events: decided.map((event) => ({
              type: event.type,
              schemaVersion: event.schemaVersion,
              data: event.data,
              occurredAt: kind.occurredAt(command),
            })),
            ...(options.metadata ? { metadata: options.metadata } : {}),
          },
          {
            ...(executor ? { executor } : {}),
            outbox: (pending: PendingEvent[]) =>
              pending.map((event, i) => toOutboxEntry(event, aggregateId, withStateAfter(event, views[i])!)),
          },
        )
        .catch((error: unknown) => {
          if (guessed && error instanceof TributaryError && error.code === 'store.conflict') {
            throw new GuessFailed();
          }
          throw error;
        });
      version = appended.nextVersion;
      maxOccurredAt = appended.events.reduce(
        (max, e) => (e.occurredAt > max ? e.occurredAt : max),
        loaded.maxOccurredAt,
      );
      if (
        snapshotEvery > 0 &&
        Math.floor(version / snapshotEvery) > Math.floor(loaded.version / snapshotEvery)
      ) {
        await store.writeSnapshot(
          streamId,
          kind.snapshotVersion,
          { version, state, maxOccurredAt },
          executor,
        );
      }
    }
    const view = kind.view(state);
    if (view === undefined)
      throw new TributaryError('internal', `${streamId} has no state after the command`);
    return {
      result: { streamId: aggregateId, version, view, replayed: false },
      after: { state, version, maxOccurredAt },
    };
  };

  const idempotencyKey = options.idempotencyKey;
  /** One try; the state it leaves is remembered once it has committed. */
  const attempt = async (guessed: CachedState<State> | undefined): Promise<CommandResult<View>> => {
    if (idempotencyKey === undefined) {
      const { result, after } = await decideAndAppend(undefined, guessed);
      cache?.set(streamId, kind.snapshotVersion, after);
      return result;
    }
    const requestHash = hashOf({ streamId, request });
    let after: CachedState<State> | undefined;
    const result = await store.transaction(async (executor) => {
      await executor.query(LOCK_IDEMPOTENT_SQL, [idempotencyKey]);
      const earlier = await replayed<View>(executor, idempotencyKey, requestHash);
      if (earlier) return earlier;
      const decided = await decideAndAppend(executor, guessed);
      after = decided.after;
      await executor.query(SAVE_IDEMPOTENT_SQL, [
        idempotencyKey,
        requestHash,
        streamId,
        JSON.stringify(decided.result),
      ]);
      return decided.result;
    });
    if (after) cache?.set(streamId, kind.snapshotVersion, after);
    return result;
  };

  /** This process's state of the stream after its last append to it; a stream it never saw is new. */
  let guessed: CachedState<State> | undefined = cache
    ? (cache.get<State>(streamId, kind.snapshotVersion) ?? {
        state: kind.decider.initialState(),
        version: 0,
        maxOccurredAt: '',
      })
    : undefined;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(guessed);
    } catch (error) {
      cache?.forget(streamId); // the stream may have moved, or be in an unknown state now
      guessed = undefined; // every further try decides on the stream as loaded
      if (guessFailed(error)) {
        tries--; // a wrong guess is not a lost race
        continue;
      }
      const lostRace =
        error instanceof TributaryError &&
        error.code === 'store.conflict' &&
        options.expectedVersion === undefined;
      if ((lostRace || isUniqueViolation(error)) && tries < RACE_RETRIES) continue;
      throw error;
    }
  }
}
