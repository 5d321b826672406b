import { captureKeyOf, reasons, refundKeyOf, retryDelayMs } from './rules';
import { isTerminal } from './types';

describe('the saga rules', () => {
  it('one capture key and one refund key per order, the same on every retry', () => {
    expect(captureKeyOf('o-1')).toBe('saga-o-1-capture');
    expect(captureKeyOf('o-1')).toBe(captureKeyOf('o-1'));
    expect(refundKeyOf('o-1')).toBe('saga-o-1-refund');
    expect(captureKeyOf('o-1')).not.toBe(captureKeyOf('o-2'));
  });

  it('capture retries back off by doubling up to the cap, jitter only shortening the wait', () => {
    expect(retryDelayMs(1, 100, 10_000, 0)).toBe(100);
    expect(retryDelayMs(2, 100, 10_000, 0)).toBe(200);
    expect(retryDelayMs(5, 100, 10_000, 0)).toBe(1_600);
    expect(retryDelayMs(50, 100, 10_000, 0)).toBe(10_000);
    expect(retryDelayMs(50, 100, 10_000, 0.999)).toBeGreaterThanOrEqual(8_000);
    expect(retryDelayMs(0, 100, 10_000, 0)).toBe(100);
  });

  it('reasons name what the customer needs to know', () => {
    expect(reasons.outOfStock('TEA-1')).toBe('out of stock: TEA-1');
    expect(reasons.declined('The card issuer declined the payment.')).toBe(
      'payment declined: The card issuer declined the payment.',
    );
    expect(reasons.declined(undefined)).toMatch(/^payment declined: /);
  });

  it('completed, compensated and timed out are the end; reserving and capturing are not', () => {
    expect(['completed', 'compensated', 'timed_out'].every((s) => isTerminal(s as never))).toBe(true);
    expect(isTerminal('capturing')).toBe(false);
    expect(isTerminal('reserving')).toBe(false);
  });
});
