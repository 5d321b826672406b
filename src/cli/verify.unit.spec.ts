import { parseVerifyArgs } from './verify';

describe('tributary verify options', () => {
  it('runs every check by default, the saga check without the gateway', () => {
    expect(parseVerifyArgs([])).toEqual({
      checks: ['kafka', 'search', 'reporting', 'saga'],
      askGateway: false,
    });
  });

  it('takes a window, a list of checks and --gateway', () => {
    expect(parseVerifyArgs(['--checks', 'saga', '--gateway', '--since', '2026-12-04T10:00:00Z'])).toEqual({
      checks: ['saga'],
      askGateway: true,
      since: new Date('2026-12-04T10:00:00Z'),
    });
  });

  it.each([
    [['--checks', 'sagas'], /--checks takes a list of kafka, search, reporting, saga; got 'sagas'/],
    [['--since', 'yesterday'], /--since needs an ISO 8601 time/],
    [['--gateway=yes'], /unknown verify option '--gateway=yes': expected --since, --checks or --gateway/],
  ])('refuses %j', (args, message) => {
    expect(() => parseVerifyArgs(args)).toThrow(message);
  });
});
