/**
 * The shape every aggregate in Tributary takes: a decider in the style of emmett's `Decider`.
 * `decide` turns a command and the current state into new facts (or rejects the command),
 * `evolve` applies one fact to a state, `initialState` is the state of a stream with no events.
 * All three are pure and deterministic, so the command handler can load, decide and append, and
 * tests can say given/when/then without a database.
 */

/** Any value that survives `JSON.stringify` → `JSON.parse` unchanged (event data is stored as jsonb). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/** A plain JSON object. Event data types are `type` aliases (not interfaces) so they satisfy this. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * A fact recorded by an aggregate. `schemaVersion` is the version of the shape of `data`; stored
 * events of older versions are upcast on read (see `upcasting.ts`) before they reach `evolve`.
 */
export interface DomainEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  readonly type: Type;
  readonly schemaVersion: number;
  readonly data: Data;
}

/**
 * An aggregate as three pure functions. `decide` throws a `TributaryError` with code
 * `domain.validation` (malformed command) or `domain.rule` (not allowed in the current state);
 * it may return no events when the command is an accepted no-op (e.g. an idempotent repeat).
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly decide: (command: Command, state: State) => Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
}

/** Applies `events` in order to `state` with the given evolve function. */
export function fold<Event, State>(
  evolve: (state: State, event: Event) => State,
  events: Iterable<Event>,
  state: State,
): State {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}

/** Rebuilds an aggregate's state from its whole history, starting at `initialState()`. */
export function replay<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
): State {
  return fold(decider.evolve, events, decider.initialState());
}

/**
 * Decides and applies in one step: what the command handler does in memory before appending.
 * Returns the new events and the state after them (the state is what integration events carry).
 */
export function decideAndEvolve<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  command: Command,
  state: State,
): { events: Event[]; state: State } {
  const events = decider.decide(command, state);
  return { events, state: fold(decider.evolve, events, state) };
}
