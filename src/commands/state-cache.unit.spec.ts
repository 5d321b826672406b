import { createStateCache } from './state-cache';

describe('the state cache', () => {
  const entry = (version: number) => ({ state: { version }, version, maxOccurredAt: '' });

  it('gives back what was set, for the reducer version it was built with only', () => {
    const cache = createStateCache(10);
    cache.set('order-1', 1, entry(3));
    expect(cache.get('order-1', 1)).toEqual(entry(3));
    expect(cache.get('order-1', 2)).toBeUndefined();
    expect(cache.get('order-1', 1)).toBeUndefined(); // an entry of another reducer is dropped when met
    expect(cache.get('order-2', 1)).toBeUndefined();
  });

  it('keeps the latest state of a stream and forgets on demand', () => {
    const cache = createStateCache(10);
    cache.set('order-1', 1, entry(1));
    cache.set('order-1', 1, entry(2));
    expect(cache.get('order-1', 1)?.version).toBe(2);
    expect(cache.size).toBe(1);
    cache.forget('order-1');
    expect(cache.get('order-1', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used stream beyond its capacity', () => {
    const cache = createStateCache(2);
    cache.set('a', 1, entry(1));
    cache.set('b', 1, entry(1));
    expect(cache.get('a', 1)).toBeDefined(); // a is now more recent than b
    cache.set('c', 1, entry(1));
    expect(cache.size).toBe(2);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBeDefined();
    expect(cache.get('c', 1)).toBeDefined();
  });

  it('remembers nothing with capacity 0', () => {
    const cache = createStateCache(0);
    cache.set('a', 1, entry(1));
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
