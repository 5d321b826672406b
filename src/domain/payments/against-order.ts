import { forbidden } from '../guards';
import { requireAmount, requireCurrency } from '../money';
import type { Order } from '../orders/state';

/** What a new payment asks of its order. */
export interface PaymentRequest {
  orderId: string;
  amount: number;
  currency: string;
}

/**
 * A payment is for an order that is not cancelled, in the order's currency, and not more than the
 * amount still due: the order's total less what its payments hold now (recorded less refunded). Throws
 * 'domain.rule' otherwise (the API answers 422). That the order exists is the caller's to check (a 404).
 */
export function requirePayable(order: Order, payment: PaymentRequest, paidSoFar: number): void {
  const amount = requireAmount(payment.amount, 'amount', { allowZero: false });
  const currency = requireCurrency(payment.currency);
  if (order.status === 'cancelled') {
    forbidden(`order ${order.id} is cancelled; it takes no payment`, { orderId: order.id });
  }
  if (currency !== order.currency) {
    forbidden(`payment currency ${currency} does not match order currency ${order.currency}`, {
      orderId: order.id,
      currency,
      orderCurrency: order.currency,
    });
  }
  const due = Math.max(order.totalAmount - paidSoFar, 0);
  if (amount > due) {
    forbidden(`payment of ${amount} exceeds the ${due} still due on order ${order.id}`, {
      orderId: order.id,
      amount,
      due,
    });
  }
}
