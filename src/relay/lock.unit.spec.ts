import { FailureLog } from './lock';

/** What the relay lock logs while it cannot try the lock: each distinct failure once, not one line a poll. */
describe('the lock failure log', () => {
  function recorder() {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) };
    return { log: new FailureLog(logger, { slot: 's' }), lines };
  }
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

  it('logs a failure that repeats on every poll once, with its message and code', () => {
    const { log, lines } = recorder();
    for (let poll = 0; poll < 5; poll++) log.report(refused());
    expect(lines).toEqual([
      {
        fields: { slot: 's', err: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' },
        msg: 'could not connect to PostgreSQL or try the relay lock; retrying',
      },
    ]);
  });

  it('logs again when the failure changes, and when it comes back after a success', () => {
    const { log, lines } = recorder();
    log.report(refused());
    log.report(new Error('database "x" does not exist'));
    log.report(new Error('database "x" does not exist'));
    log.clear();
    log.report(new Error('database "x" does not exist'));
    expect(lines.map((line) => line.fields.err)).toEqual([
      'connect ECONNREFUSED 127.0.0.1:1',
      'database "x" does not exist',
      'database "x" does not exist',
    ]);
    expect(lines[1]!.fields).not.toHaveProperty('code');
  });
});
