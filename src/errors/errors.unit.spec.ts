import { isRetriable, toTributaryError, TributaryError } from '.';

describe('the error model', () => {
  it('retries serialization failures, deadlocks, shutdowns and refused connections', () => {
    for (const code of ['40001', '40P01', '57P01', 'ECONNREFUSED', 'ECONNRESET']) {
      expect(isRetriable(Object.assign(new Error('x'), { code }))).toBe(true);
    }
  });

  it('retries node-postgres connection losses, which carry no SQLSTATE', () => {
    expect(isRetriable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetriable(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    );
    expect(isRetriable(Object.assign(new Error('Connection terminated'), { code: '23505' }))).toBe(false);
    expect(isRetriable(new Error('Query read timeout'))).toBe(true);
  });

  it('does not retry constraint violations or plain bugs', () => {
    expect(isRetriable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isRetriable(new TypeError('undefined is not a function'))).toBe(false);
  });

  it('honours the retriable flag of kafkajs errors', () => {
    expect(isRetriable(Object.assign(new Error('leader not available'), { retriable: true }))).toBe(true);
  });

  it('wraps unknown throws, keeping the original as the cause', () => {
    const original = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const wrapped = toTributaryError(original);
    expect(wrapped).toBeInstanceOf(TributaryError);
    expect(wrapped.code).toBe('infra.unavailable');
    expect(wrapped.retriable).toBe(true);
    expect(wrapped.cause).toBe(original);
    expect(toTributaryError('boom').code).toBe('internal');
  });

  it('passes a TributaryError through unchanged', () => {
    const error = new TributaryError('store.conflict', 'stream order-1 is at version 3, expected 2');
    expect(toTributaryError(error)).toBe(error);
  });
});
