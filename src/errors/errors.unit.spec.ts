import {
  isRejectedByServer,
  isRetriable,
  isUniqueViolation,
  sqlStateOf,
  SQLSTATE,
  toTributaryError,
  TributaryError,
} from '.';

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

  it('reads a SQLSTATE only from a five-character PostgreSQL code, not from an errno', () => {
    expect(sqlStateOf(Object.assign(new Error('dup'), { code: '23505' }))).toBe('23505');
    expect(sqlStateOf(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(sqlStateOf(undefined)).toBeUndefined();
  });

  it('sees a unique violation on the driver error and on the TributaryError that wraps it', () => {
    const driver = Object.assign(new Error('duplicate key'), { code: SQLSTATE.uniqueViolation });
    expect(isUniqueViolation(driver)).toBe(true);
    expect(isUniqueViolation(new TributaryError('internal', 'x', { cause: driver }))).toBe(true);
    expect(isUniqueViolation(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe(false);
    expect(isUniqueViolation(new TributaryError('store.conflict', 'x'))).toBe(false);
  });

  it('takes a statement the server answered with an error as certainly not committed', () => {
    const answered = (code: string) => Object.assign(new Error('x'), { code, severity: 'ERROR' });
    expect(isRejectedByServer(answered('23505'))).toBe(true);
    expect(isRejectedByServer(answered('40P01'))).toBe(true);
  });

  it('takes a lost connection or a shutdown as an unknown outcome, not a rejection', () => {
    const answered = (code: string) => Object.assign(new Error('x'), { code, severity: 'ERROR' });
    expect(isRejectedByServer(answered('08006'))).toBe(false);
    expect(isRejectedByServer(answered('57P01'))).toBe(false);
    expect(isRejectedByServer(Object.assign(new Error('x'), { code: '23505', severity: 'FATAL' }))).toBe(
      false,
    );
    expect(isRejectedByServer(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isRejectedByServer(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
  });
});
