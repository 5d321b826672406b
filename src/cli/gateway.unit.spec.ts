import { parseGatewayArgs } from './gateway';

describe('tributary gateway options', () => {
  it('reads the fault knobs, defaulting each to none', () => {
    expect(parseGatewayArgs(['--decline-rate', '0.05', '--slow-ms', '20', '--duplicate-callbacks'])).toEqual({
      faults: {
        declineRate: 0.05,
        timeoutRate: 0,
        lostAnswerRate: 0,
        failRate: 0,
        slowMs: 20,
        duplicateCallbacks: true,
      },
    });
  });

  it.each([
    [['--decline-rate', '2'], /--decline-rate needs a number from 0 to 1, not '2'/],
    [['--fail-rate', 'often'], /--fail-rate needs a number/],
    [['--slow-ms=-1'], /--slow-ms needs a number from 0/],
    [['--colour'], /gateway: Unknown option '--colour'/],
  ])('%j is refused with one readable line', (args, message) => {
    expect(() => parseGatewayArgs(args)).toThrow(
      expect.objectContaining({ code: 'input.invalid', message: expect.stringMatching(message) }),
    );
  });
});
