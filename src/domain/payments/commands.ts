import type { PaymentMethod } from './events';

/** Commands of the Payment aggregate; `at` and ids are supplied by the caller. */

/** Records money captured for an order. `amount` is in minor units of `currency`. */
export type RecordPayment = {
  readonly type: 'RecordPayment';
  readonly paymentId: string;
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly at: string;
};

/** Gives back part or all of what is still refundable; `currency` must be the payment's. */
export type RefundPayment = {
  readonly type: 'RefundPayment';
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string;
  readonly at: string;
};

/** Every command the Payment aggregate decides on. */
export type PaymentCommand = RecordPayment | RefundPayment;
