import { createExpiringCache, credentialKey } from './token-cache';

describe('the verified-token cache', () => {
  const NOW = 1_000_000;

  it('remembers a credential until its own expiry, and forgets it from then on', () => {
    const cache = createExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000 });
    cache.set('token-a', 'alice', NOW + 5_000, NOW);
    expect(cache.get('token-a', NOW + 4_999)).toBe('alice');
    expect(cache.get('token-a', NOW + 5_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never keeps an entry longer than its max age, however late the credential expires', () => {
    const cache = createExpiringCache<string>({ maxEntries: 10, maxAgeMs: 1_000 });
    cache.set('token-a', 'alice', NOW + 3_600_000, NOW);
    expect(cache.get('token-a', NOW + 999)).toBe('alice');
    expect(cache.get('token-a', NOW + 1_000)).toBeUndefined();
  });

  it('drops the least recently used entry when full', () => {
    const cache = createExpiringCache<string>({ maxEntries: 2, maxAgeMs: 60_000 });
    cache.set('a', 'A', NOW + 10_000, NOW);
    cache.set('b', 'B', NOW + 10_000, NOW);
    expect(cache.get('a', NOW)).toBe('A'); // a is now the most recently used
    cache.set('c', 'C', NOW + 10_000, NOW);
    expect(cache.size).toBe(2);
    expect(cache.get('b', NOW)).toBeUndefined();
    expect(cache.get('a', NOW)).toBe('A');
    expect(cache.get('c', NOW)).toBe('C');
  });

  it('an already expired credential, or a cache of size 0, remembers nothing', () => {
    const cache = createExpiringCache<string>({ maxEntries: 10, maxAgeMs: 60_000 });
    cache.set('old', 'x', NOW - 1, NOW);
    expect(cache.size).toBe(0);
    const off = createExpiringCache<string>({ maxEntries: 0, maxAgeMs: 60_000 });
    off.set('a', 'A', NOW + 10_000, NOW);
    expect(off.get('a', NOW)).toBeUndefined();
  });

  it('is keyed by a hash of the credential, never the credential itself', () => {
    expect(credentialKey('secret-token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentialKey('secret-token')).not.toContain('secret');
    expect(credentialKey('a')).not.toBe(credentialKey('b'));
  });
});
