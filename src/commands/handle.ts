import type { Decider, DomainEvent } from '../domain/decider';
import { isUniqueViolation, TributaryError } from '../errors';
import type { Executor } from '../db/executor';
import type { EventStore, PendingEvent, Reducer } from '../eventstore';
import { requireEntrySize, toOutboxEntry, withStateAfter } from '../outbox/mapping';
import { hashOfRequest, lockAndReplay, NO_SCOPE, saveResult, type IdempotentRequest } from './idempotency';
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

/** Without If-Match, a command that lost a race to a concurrent writer is simply decided again. */
const RACE_RETRIES = 3;

/** How long a key answers retries when the settings name no time (IDEMPOTENCY_KEY_TTL's default). */
const DEFAULT_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface HandlerSettings {
  store: EventStore;
  snapshotEvery: number;
  /** Guesses of streams' states; without one, every command loads its stream. */
  cache?: StateCache;
  /** How long an idempotency key answers retries (default 24 hours). */
  idempotencyKeyTtlMs?: number;
  /** The largest integration event a command may write (JSON payload and headers); none when absent. */
  maxEventBytes?: number;
}

/** A guessed state did not lead to a successful append: forget it and decide on the stream as loaded. */
class GuessFailed extends Error {}

/** Thrown as is, or wrapped by the store's transaction on its way out. */
const guessFailed = (error: unknown) =>
  error instanceof GuessFailed || (error instanceof TributaryError && error.cause instanceof GuessFailed);

/**
 * A check of a command against other aggregates, in the transaction that appends its events (after an
 * idempotent replay was ruled out): it throws to refuse the command. Such commands skip the state cache's
 * fast path and group commit.
 */
export type Precondition = (executor: Executor) => Promise<void>;

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
  precondition?: Precondition,
): Promise<CommandResult<View>> {
  const handling = new CommandHandling(settings, kind, aggregateId, command, request, options, precondition);
  return handling.handle();
}

interface Decided<State, View> {
  result: CommandResult<View>;
  after: CachedState<State>;
}

/** One command on its way through load → decide → append, in named steps. */
class CommandHandling<Command, Event extends DomainEvent, State, View> {
  private readonly streamId: string;
  private readonly reducer: Reducer<State>;

  constructor(
    private readonly settings: HandlerSettings,
    private readonly kind: AggregateKind<Command, Event, State, View>,
    private readonly aggregateId: string,
    private readonly command: Command,
    private readonly request: unknown,
    private readonly options: CommandOptions,
    private readonly precondition: Precondition | undefined,
  ) {
    this.streamId = kind.streamId(aggregateId);
    this.reducer = reducerOf(kind);
  }

  /** Tries on the guessed state first (with a cache), then on the stream as loaded; lost races again. */
  async handle(): Promise<CommandResult<View>> {
    if (this.options.executor) return this.attemptWithin(this.options.executor);
    let guessed = this.initialGuess();
    for (let tries = 1; ; tries++) {
      try {
        return await this.attempt(guessed);
      } catch (error) {
        this.settings.cache?.forget(this.streamId); // the stream may have moved, or be in an unknown state now
        guessed = undefined; // every further try decides on the stream as loaded
        if (guessFailed(error)) {
          tries--; // a wrong guess is not a lost race
          continue;
        }
        if (this.lostRace(error) && tries < RACE_RETRIES) continue;
        throw error;
      }
    }
  }

  /** This process's state of the stream after its last append to it; a stream it never saw is new. */
  private initialGuess(): CachedState<State> | undefined {
    const { cache } = this.settings;
    if (!cache) return undefined;
    return (
      cache.get<State>(this.streamId, this.kind.snapshotVersion) ?? {
        state: this.kind.decider.initialState(),
        version: 0,
        maxOccurredAt: '',
      }
    );
  }

  /** A concurrent writer got there first (without If-Match), or wrote the same unique row. */
  private lostRace(error: unknown): boolean {
    const conflict =
      error instanceof TributaryError &&
      error.code === 'store.conflict' &&
      this.options.expectedVersion === undefined;
    return conflict || isUniqueViolation(error);
  }

  /** One try; the state it leaves is remembered once it has committed. */
  private async attempt(guessed: CachedState<State> | undefined): Promise<CommandResult<View>> {
    const key = this.options.idempotencyKey;
    if (key !== undefined || this.precondition) return this.attemptInTransaction(key, guessed);
    const { result, after } = await this.decideAndAppend(undefined, guessed);
    this.settings.cache?.set(this.streamId, this.kind.snapshotVersion, after);
    return result;
  }

  /**
   * With an idempotency key or a precondition: the key's lookup, the precondition, the append and the stored
   * result commit together.
   */
  private async attemptInTransaction(
    key: string | undefined,
    guessed: CachedState<State> | undefined,
  ): Promise<CommandResult<View>> {
    const request = key === undefined ? undefined : this.idempotentRequest(key);
    let after: CachedState<State> | undefined;
    const result = await this.settings.store.transaction(async (executor) => {
      const earlier = request && (await lockAndReplay<View>(executor, request));
      if (earlier) return earlier;
      await this.precondition?.(executor);
      const decided = await this.decideAndAppend(executor, guessed);
      after = decided.after;
      if (request) await saveResult(executor, request, this.streamId, decided.result);
      return decided.result;
    });
    if (after) this.settings.cache?.set(this.streamId, this.kind.snapshotVersion, after);
    return result;
  }

  /**
   * In the caller's transaction: one try on the stream as loaded (a failed statement ends the transaction, so
   * retrying is the caller's). The cache forgets the stream: whether this commits is not known here.
   */
  private async attemptWithin(executor: Executor): Promise<CommandResult<View>> {
    this.settings.cache?.forget(this.streamId);
    const key = this.options.idempotencyKey;
    const request = key === undefined ? undefined : this.idempotentRequest(key);
    const earlier = request && (await lockAndReplay<View>(executor, request));
    if (earlier) return earlier;
    await this.precondition?.(executor);
    const decided = await this.decideAndAppend(executor, undefined);
    if (request) await saveResult(executor, request, this.streamId, decided.result);
    return decided.result;
  }

  private idempotentRequest(key: string): IdempotentRequest {
    return {
      scope: this.options.idempotencyScope ?? NO_SCOPE,
      key,
      requestHash: hashOfRequest({ streamId: this.streamId, request: this.request }),
      ttlMs: this.settings.idempotencyKeyTtlMs ?? DEFAULT_KEY_TTL_MS,
    };
  }

  /**
   * Load → decide → append. Without an executor nothing here needs a transaction: the append is conditional
   * on the loaded version (optimistic concurrency) and is one statement; the snapshot is written afterwards
   * (it is only a shortcut, and rebuilding it is always possible). With an idempotency key, the key's lookup,
   * the append and the stored result must commit together, so all of it runs in one transaction.
   * From a guessed state (`guessed`), anything but a successful append throws GuessFailed instead.
   */
  private async decideAndAppend(
    executor: Executor | undefined,
    guessed: CachedState<State> | undefined,
  ): Promise<Decided<State, View>> {
    const loaded = guessed ?? (await this.settings.store.load(this.streamId, this.reducer, {}, executor));
    this.checkExpectedVersion(loaded.version, guessed);
    const decided = this.decide(loaded.state, guessed);
    if (guessed && decided.length === 0) throw new GuessFailed(); // a no-op is an answer: from the stream
    const after =
      decided.length > 0
        ? await this.append(executor, loaded, decided, guessed)
        : { state: loaded.state, version: loaded.version, maxOccurredAt: loaded.maxOccurredAt };
    const view = this.kind.view(after.state);
    if (view === undefined)
      throw new TributaryError('internal', `${this.streamId} has no state after the command`);
    return { result: { streamId: this.aggregateId, version: after.version, view, replayed: false }, after };
  }

  /** If-Match: the request names the version it was decided on. */
  private checkExpectedVersion(version: number, guessed: CachedState<State> | undefined): void {
    const expected = this.options.expectedVersion;
    if (expected === undefined || expected === version) return;
    if (guessed) throw new GuessFailed();
    throw new TributaryError(
      'store.conflict',
      `${this.kind.streamType} ${this.aggregateId} is at version ${version}, the request expected ${expected}`,
      { details: { expected, actual: version } },
    );
  }

  private decide(state: State, guessed: CachedState<State> | undefined): Event[] {
    try {
      return this.kind.decider.decide(this.command, state);
    } catch (error) {
      if (guessed) throw new GuessFailed();
      throw error;
    }
  }

  /**
   * Appends the decided events, each with an outbox entry carrying the aggregate's view after it, conditional
   * on the loaded version; then writes a snapshot when one is due. Returns the state after the events.
   */
  private async append(
    executor: Executor | undefined,
    loaded: CachedState<State>,
    decided: Event[],
    guessed: CachedState<State> | undefined,
  ): Promise<CachedState<State>> {
    let state = loaded.state;
    const views: unknown[] = [];
    for (const event of decided) {
      state = this.kind.decider.evolve(state, event);
      views.push(this.kind.view(state));
    }
    const appended = await this.settings.store
      .append(this.appendInput(loaded.version, decided), {
        ...(executor ? { executor } : {}),
        outbox: (pending: PendingEvent[]) => pending.map((event, i) => this.entryOf(event, views[i])),
      })
      .catch((error: unknown) => {
        if (guessed && error instanceof TributaryError && error.code === 'store.conflict') {
          throw new GuessFailed();
        }
        throw error;
      });
    const version = appended.nextVersion;
    const maxOccurredAt = appended.events.reduce(
      (max, e) => (e.occurredAt > max ? e.occurredAt : max),
      loaded.maxOccurredAt,
    );
    const after = { state, version, maxOccurredAt };
    await this.snapshotIfDue(executor, loaded.version, after);
    return after;
  }

  /** The outbox entry of an event, carrying the view after it; refused when larger than maxEventBytes. */
  private entryOf(event: PendingEvent, view: unknown) {
    const entry = toOutboxEntry(event, this.aggregateId, withStateAfter(event, view)!);
    const max = this.settings.maxEventBytes;
    return max === undefined ? entry : requireEntrySize(entry, max);
  }

  private appendInput(expected: number, decided: Event[]) {
    return {
      streamId: this.streamId,
      streamType: this.kind.streamType,
      expected,
      events: decided.map((event) => ({
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        occurredAt: this.kind.occurredAt(this.command),
      })),
      ...(this.options.metadata ? { metadata: this.options.metadata } : {}),
    };
  }

  /** A snapshot every `snapshotEvery` versions: when this append crossed a multiple of it. */
  private async snapshotIfDue(
    executor: Executor | undefined,
    loadedVersion: number,
    after: CachedState<State>,
  ): Promise<void> {
    const every = this.settings.snapshotEvery;
    if (every <= 0 || Math.floor(after.version / every) <= Math.floor(loadedVersion / every)) return;
    await this.settings.store.writeSnapshot(this.streamId, this.kind.snapshotVersion, after, executor);
  }
}
