import { AssertionError } from 'node:assert';
import { TributaryError } from '../errors';
import type { Decider, DomainEvent } from './decider';
import { spec } from './specification';

type Added = DomainEvent<'Added', { readonly by: number }>;
type Add = { readonly type: 'Add'; readonly by: number };

// A counter that refuses to go above 3: the smallest decider with both kinds of rejection.
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command, state) => {
    if (command.by <= 0) throw new TributaryError('domain.validation', 'by must be positive');
    if (state + command.by > 3) throw new TributaryError('domain.rule', 'the counter stops at 3');
    return [{ type: 'Added', schemaVersion: 1, data: { by: command.by } }];
  },
};
const added = (by: number): Added => ({ type: 'Added', schemaVersion: 1, data: { by } });

describe('spec', () => {
  it('then passes when decide returns exactly the expected events, and returns the state after them', () => {
    const result = spec(counter)
      .given([added(1)])
      .when({ type: 'Add', by: 2 })
      .then([added(2)]);
    expect(result).toEqual({ events: [added(2)], state: 3 });
  });

  it('then fails when decide returns other events', () => {
    expect(() =>
      spec(counter)
        .given([])
        .when({ type: 'Add', by: 2 })
        .then([added(1)]),
    ).toThrow(AssertionError);
  });

  it('thenThrows passes on the expected code and message, and returns the error', () => {
    const error = spec(counter)
      .given([added(3)])
      .when({ type: 'Add', by: 1 })
      .thenThrows('domain.rule', /stops at 3/);
    expect(error).toBeInstanceOf(TributaryError);
  });

  it('thenThrows fails when the command is accepted', () => {
    expect(() => spec(counter).given([]).when({ type: 'Add', by: 1 }).thenThrows('domain.rule')).toThrow(
      AssertionError,
    );
  });

  it('thenThrows fails on another code or message', () => {
    const when = spec(counter).given([]).when({ type: 'Add', by: 0 });
    expect(() => when.thenThrows('domain.rule')).toThrow(AssertionError);
    expect(() => when.thenThrows('domain.validation', 'something else')).toThrow(AssertionError);
  });

  it('errors that are not TributaryErrors are not swallowed', () => {
    const broken: Decider<Add, Added, number> = {
      ...counter,
      decide: () => {
        throw new RangeError('bug');
      },
    };
    expect(() => spec(broken).given([]).when({ type: 'Add', by: 1 }).thenThrows('domain.rule')).toThrow(
      RangeError,
    );
  });
});
