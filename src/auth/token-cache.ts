import { hash } from 'node:crypto';

/**
 * A bounded memory of verified credentials, so a client that sends the same bearer token (or API key) at
 * every request pays for verifying it once: an ES256 signature costs about 85 µs of CPU, a tenth of a
 * whole command. Entries are keyed by the SHA-256 of the credential (never the credential itself, so a heap
 * dump holds no usable token) and kept until their own expiry, never past `maxAgeMs`, with the least
 * recently used dropped first when full.
 */

export interface ExpiringCache<V> {
  /** The value remembered for `credential`, unless it expired (then it is forgotten). */
  get(credential: string, nowMs?: number): V | undefined;
  /** Remembers `value` until `expiresAtMs`, or for at most the cache's max age. */
  set(credential: string, value: V, expiresAtMs: number, nowMs?: number): void;
  readonly size: number;
}

export interface ExpiringCacheOptions {
  /** Entries kept at most; 0 remembers nothing. */
  maxEntries: number;
  /** Longest an entry is kept, whatever its own expiry. */
  maxAgeMs: number;
}

/**
 * The cache key of a credential: its SHA-256, base64url. One-shot `hash`, not `createHash`: a Hash object per
 * request is a native handle the garbage collector must finalise: per hash, several times the collection work
 * of the one-shot call (docs/benchmarks.md, "Authentication").
 */
export function credentialKey(credential: string): string {
  return hash('sha256', credential, 'base64url');
}

export function createExpiringCache<V>({ maxEntries, maxAgeMs }: ExpiringCacheOptions): ExpiringCache<V> {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, { value: V; expiresAtMs: number }>();
  return {
    get(credential, nowMs = Date.now()) {
      if (maxEntries === 0) return undefined;
      const key = credentialKey(credential);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      if (entry.expiresAtMs <= nowMs) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    set(credential, value, expiresAtMs, nowMs = Date.now()) {
      const until = Math.min(expiresAtMs, nowMs + maxAgeMs);
      if (maxEntries === 0 || until <= nowMs) return;
      const key = credentialKey(credential);
      entries.delete(key);
      entries.set(key, { value, expiresAtMs: until });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
