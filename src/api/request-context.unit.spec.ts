import type { IncomingMessage } from 'node:http';
import { correlationIdOf, idempotencyKeyOf, nameBasedUuid, newId, validTraceparent } from './request-context';

const requestWith = (headers: Record<string, string | string[]>) =>
  ({ headers }) as unknown as IncomingMessage;

describe('request context', () => {
  it('the client correlation id is kept when usable, and replaced by a UUID otherwise', () => {
    expect(correlationIdOf(requestWith({ 'x-correlation-id': 'order-flow:42' }))).toBe('order-flow:42');
    for (const unusable of ['', 'has space', 'x'.repeat(129), ['a', 'b']]) {
      expect(correlationIdOf(requestWith({ 'x-correlation-id': unusable }))).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(correlationIdOf(requestWith({}))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a valid W3C traceparent is kept; malformed or forbidden values are dropped', () => {
    const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(validTraceparent(valid)).toBe(valid);
    expect(validTraceparent(undefined)).toBeUndefined();
    expect(validTraceparent('garbage')).toBeUndefined();
    expect(validTraceparent(valid.toUpperCase())).toBeUndefined();
    expect(validTraceparent(`ff${valid.slice(2)}`)).toBeUndefined(); // version ff is invalid
    expect(validTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(validTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBeUndefined();
  });

  it('a quoted Idempotency-Key (IETF structured field) is the same key as the bare one', () => {
    expect(idempotencyKeyOf('"abc-1"')).toBe('abc-1');
    expect(idempotencyKeyOf('abc-1')).toBe('abc-1');
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
  });

  it('name-based ids are RFC 9562 version 5 UUIDs', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(nameBasedUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('a new id is derived from the Idempotency-Key and its scope, so a retried request names the same aggregate', () => {
    const scoped = (principal: string, route: string) => ({
      idempotencyKey: 'k-1',
      idempotencyScope: { principal, route },
    });
    const alice = scoped('user-a', 'POST /orders');
    expect(newId(alice)).toBe(newId(scoped('user-a', 'POST /orders')));
    expect(newId(alice)).not.toBe(newId(scoped('user-a', 'POST /orders/1/payments')));
    expect(newId(alice)).not.toBe(newId(scoped('user-b', 'POST /orders')));
    expect(newId({})).not.toBe(newId({}));
  });
});
