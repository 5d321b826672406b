import { TributaryError } from '../../errors';
import type { Order } from '../orders/state';
import { requirePayable } from './against-order';

const order = {
  id: 'o-1',
  status: 'confirmed',
  currency: 'EUR',
  totalAmount: 5000,
} as unknown as Order;

function refusal(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('domain.rule');
    return (error as TributaryError).message;
  }
}

describe('a payment against its order', () => {
  const payment = { orderId: 'o-1', amount: 2000, currency: 'EUR' };

  it('is accepted up to the amount still due', () => {
    expect(refusal(() => requirePayable(order, payment, 0))).toBeUndefined();
    expect(refusal(() => requirePayable(order, { ...payment, amount: 5000 }, 0))).toBeUndefined();
    expect(refusal(() => requirePayable(order, { ...payment, amount: 1000 }, 4000))).toBeUndefined();
  });

  it('is refused above the amount due, naming what is due', () => {
    expect(refusal(() => requirePayable(order, { ...payment, amount: 5001 }, 0))).toMatch(/5000 still due/);
    expect(refusal(() => requirePayable(order, payment, 4000))).toMatch(/1000 still due/);
    expect(refusal(() => requirePayable(order, { ...payment, amount: 1 }, 5000))).toMatch(/0 still due/);
  });

  it('is refused in another currency', () => {
    expect(refusal(() => requirePayable(order, { ...payment, currency: 'USD' }, 0))).toMatch(
      /does not match order currency EUR/,
    );
  });

  it('is refused for a cancelled order', () => {
    const cancelled = { ...order, status: 'cancelled' } as Order;
    expect(refusal(() => requirePayable(cancelled, payment, 0))).toMatch(/cancelled/);
  });
});
