import type { PaymentMethod } from './events';
import type { Payment, PaymentStatus } from './state';

/**
 * The public representation of a payment after a change: what the API answers and what integration events
 * carry (event-carried state transfer). Amounts are minor units of `currency`.
 */
export interface PaymentView {
  id: string;
  orderId: string;
  /**
   * @asType integer
   * @minimum 1
   */
  amount: number;
  /**
   * @asType integer
   * @minimum 0
   */
  refundedAmount: number;
  currency: string;
  method: PaymentMethod;
  status: PaymentStatus;
  /**
   * The stream version this view reflects; consumers use it to ignore stale copies.
   * @asType integer
   * @minimum 1
   */
  version: number;
}

/** Builds the view of a recorded payment. */
export function toPaymentView(payment: Payment): PaymentView {
  return {
    id: payment.id,
    orderId: payment.orderId,
    amount: payment.amount,
    refundedAmount: payment.refundedAmount,
    currency: payment.currency,
    method: payment.method,
    status: payment.status,
    version: payment.version,
  };
}
