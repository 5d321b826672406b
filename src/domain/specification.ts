import assert from 'node:assert/strict';
import { TributaryError, type ErrorCode } from '../errors';
import type { Decider, DomainEvent } from './decider';

/**
 * Given/when/then for deciders, in the style of emmett's `DeciderSpecification`:
 *
 *   spec(orderDecider).given([created]).when(confirm).then([confirmed]);
 *   spec(orderDecider).given([created, cancelled]).when(confirm).thenThrows('domain.rule');
 *
 * It uses `node:assert`, not a test runner's `expect`, so it works under any runner and compiles
 * without test-runner types.
 */

/** The outcome of an accepted command, for assertions beyond the events. */
export type Accepted<Event, State> = { readonly events: Event[]; readonly state: State };

/** The assertions available once the command is known. */
export interface Then<Event, State> {
  /** Asserts `decide` returns exactly `expected`; returns the events and the state after them. */
  then(expected: readonly Event[]): Accepted<Event, State>;
  /** Asserts `decide` rejects with a TributaryError of `code` (and a message matching `message`). */
  thenThrows(code: ErrorCode, message?: string | RegExp): TributaryError;
}

/** Chooses the command to decide on. */
export interface When<Command, Event, State> {
  when(command: Command): Then<Event, State>;
}

/** Chooses the history the command is decided against. */
export interface Given<Command, Event, State> {
  given(events: readonly Event[]): When<Command, Event, State>;
}

/** Starts a specification of `decider`. */
export function spec<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
): Given<Command, Event, State> {
  return {
    given: (history) => ({
      when: (command) => {
        // Built lazily so a history that cannot be folded fails inside then/thenThrows, where it is reported.
        const state = (): State => history.reduce(decider.evolve, decider.initialState());
        return {
          then(expected) {
            const before = state();
            const events = decider.decide(command, before);
            assert.deepStrictEqual(events, expected);
            // Folding the new events proves evolve accepts what decide produced.
            return { events, state: events.reduce(decider.evolve, before) };
          },
          thenThrows(code, message) {
            const before = state();
            let decided: Event[];
            try {
              decided = decider.decide(command, before);
            } catch (error) {
              if (!(error instanceof TributaryError)) throw error;
              assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
              if (typeof message === 'string') assert.ok(error.message.includes(message), error.message);
              if (message instanceof RegExp) assert.match(error.message, message);
              return error;
            }
            return assert.fail(`expected ${code}, but decided ${JSON.stringify(decided)}`);
          },
        };
      },
    }),
  };
}
