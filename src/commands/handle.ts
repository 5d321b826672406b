import { createHash } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/decider';
import { TributaryError } from '../errors';
import type { Executor } from '../db/executor';
import type { EventStore, PendingEvent, Reducer } from '../eventstore';
import { toOutboxEntry, withStateAfter } from '../outbox/mapping';
import type { CommandOptions, CommandResult } from './types';

/**
 * The command handler: load the aggregate, decide (pure), append the events with their outbox entries, all
 * in one transaction. Integration events carry the aggregate's public view after each event (event-carried
 * state transfer).
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
}

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
  const { store, snapshotEvery } = settings;
  const streamId = kind.streamId(aggregateId);
  const reducer = reducerOf(kind);
  const requestHash = hashOf({ streamId, request });

  /**
   * Load → decide → append. Without an executor nothing here needs a transaction: the append is conditional
   * on the loaded version (optimistic concurrency) and is one statement; the snapshot is written afterwards
   * (it is only a shortcut, and rebuilding it is always possible). With an idempotency key, the key's lookup,
   * the append and the stored result must commit together, so all of it runs in one transaction.
   */
  const decideAndAppend = async (executor: Executor | undefined): Promise<CommandResult<View>> => {
    const loaded = await store.load(streamId, reducer, {}, executor);
    if (options.expectedVersion !== undefined && options.expectedVersion !== loaded.version) {
      throw new TributaryError(
        'store.conflict',
        `${kind.streamType} ${aggregateId} is at version ${loaded.version}, the request expected ${options.expectedVersion}`,
        { details: { expected: options.expectedVersion, actual: loaded.version } },
      );
    }
    const decided = kind.decider.decide(command, loaded.state);
    let state = loaded.state;
    let version = loaded.version;
    if (decided.length > 0) {
      const views: unknown[] = [];
      for (const event of decided) {
        state = kind.decider.evolve(state, event);
        views.push(kind.view(state));
      }
      const result = await store.append(
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
      );
      version = result.nextVersion;
      if (
        snapshotEvery > 0 &&
        Math.floor(version / snapshotEvery) > Math.floor(loaded.version / snapshotEvery)
      ) {
        const maxOccurredAt = result.events.reduce(
          (max, e) => (e.occurredAt > max ? e.occurredAt : max),
          loaded.maxOccurredAt,
        );
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
    return { streamId: aggregateId, version, view, replayed: false };
  };

  const idempotencyKey = options.idempotencyKey;
  const attempt = (): Promise<CommandResult<View>> =>
    idempotencyKey === undefined
      ? decideAndAppend(undefined)
      : store.transaction(async (executor) => {
          await executor.query(LOCK_IDEMPOTENT_SQL, [idempotencyKey]);
          const earlier = await replayed<View>(executor, idempotencyKey, requestHash);
          if (earlier) return earlier;
          const response = await decideAndAppend(executor);
          await executor.query(SAVE_IDEMPOTENT_SQL, [
            idempotencyKey,
            requestHash,
            streamId,
            JSON.stringify(response),
          ]);
          return response;
        });

  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const lostRace =
        error instanceof TributaryError &&
        error.code === 'store.conflict' &&
        options.expectedVersion === undefined;
      const duplicateKey =
        (error as TributaryError).cause !== undefined &&
        ((error as TributaryError).cause as { code?: string }).code === '23505';
      if ((lostRace || duplicateKey) && tries < RACE_RETRIES) continue;
      throw error;
    }
  }
}
