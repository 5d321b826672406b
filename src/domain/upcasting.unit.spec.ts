import { TributaryError } from '../errors';
import { currentVersionOf, mergeByEventType, upcast, type UpcasterChain } from './upcasting';

const chain: UpcasterChain = {
  ThingHappened: {
    1: (data) => ({ ...(data as object), colour: 'blue' }),
    2: (data) => ({ ...(data as object), size: 1 }),
  },
};
const current = { ThingHappened: 3, GapHappened: 3 };

function errorOf(action: () => unknown): TributaryError | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  return undefined;
}

describe('upcast', () => {
  it('applies every step from the stored version to the current one, in order', () => {
    expect(upcast('ThingHappened', 1, { id: 'a' }, chain, current)).toEqual({
      schemaVersion: 3,
      data: { id: 'a', colour: 'blue', size: 1 },
    });
    expect(upcast('ThingHappened', 2, { id: 'a', colour: 'red' }, chain, current)).toEqual({
      schemaVersion: 3,
      data: { id: 'a', colour: 'red', size: 1 },
    });
  });

  it('returns data already at the current version untouched', () => {
    const data = { id: 'a' };
    expect(upcast('ThingHappened', 3, data, chain, current).data).toBe(data);
  });

  it('treats a type without a registered version as version 1', () => {
    expect(currentVersionOf('NeverChanged', current)).toBe(1);
    expect(upcast('NeverChanged', 1, { id: 'a' }, chain, current)).toEqual({
      schemaVersion: 1,
      data: { id: 'a' },
    });
  });

  it('an event of a newer version than this code knows is rejected, not read with data missing', () => {
    const error = errorOf(() => upcast('ThingHappened', 4, {}, chain, current));
    expect(error?.code).toBe('input.invalid');
    expect(error?.details).toMatchObject({ type: 'ThingHappened', schemaVersion: 4, currentVersion: 3 });
    expect(errorOf(() => upcast('NeverChanged', 2, {}, chain, current))?.code).toBe('input.invalid');
  });

  it('a missing step of the chain is rejected', () => {
    const error = errorOf(() => upcast('GapHappened', 1, {}, chain, current));
    expect(error?.code).toBe('input.invalid');
    expect(error?.details).toMatchObject({ missingFrom: 1 });
  });

  it.each([0, -1, 1.5, Number.NaN])('a stored version of %s is rejected', (version) => {
    expect(errorOf(() => upcast('ThingHappened', version, {}, chain, current))?.code).toBe('input.invalid');
  });

  it('event types named like Object.prototype members are not mistaken for registered ones', () => {
    expect(upcast('constructor', 1, { id: 'a' }, chain, {})).toEqual({ schemaVersion: 1, data: { id: 'a' } });
    expect(errorOf(() => upcast('toString', 2, {}, chain, {}))?.code).toBe('input.invalid');
  });
});

describe('mergeByEventType', () => {
  it('merges registries of different aggregates', () => {
    expect(mergeByEventType({ A: 1 }, { B: 2 })).toEqual({ A: 1, B: 2 });
  });

  it('an event type claimed by two aggregates is a bug', () => {
    expect(errorOf(() => mergeByEventType({ A: 1 }, { A: 2 }))?.code).toBe('internal');
  });
});
