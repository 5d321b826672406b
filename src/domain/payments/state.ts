import { TributaryError } from '../../errors';
import type { PaymentEvent, PaymentMethod } from './events';

/** captured → partially_refunded → refunded (a full refund may skip the middle). */
export type PaymentStatus = 'captured' | 'partially_refunded' | 'refunded';

/** The state of a payment stream before PaymentRecorded. */
export type NoPayment = { readonly status: 'initial'; readonly version: 0 };

/** A recorded payment as rebuilt from its events. Amounts are minor units of `currency`. */
export type Payment = {
  readonly id: string;
  readonly orderId: string;
  readonly status: PaymentStatus;
  readonly amount: number;
  readonly refundedAmount: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  readonly recordedAt: string;
  readonly updatedAt: string;
  /** Number of events applied: the stream version this state corresponds to. */
  readonly version: number;
};

/** What `evolve` folds over: nothing yet, or a payment. */
export type PaymentState = NoPayment | Payment;

/** The state of a stream with no events. */
export function initialPaymentState(): PaymentState {
  return { status: 'initial', version: 0 };
}

/** True once the payment has been recorded. */
export function isPayment(state: PaymentState): state is Payment {
  return state.status !== 'initial';
}

/** What can still be refunded: captured minus already refunded. */
export function refundableAmount(payment: Payment): number {
  return payment.amount - payment.refundedAmount;
}

// A stored event that cannot apply means a corrupt or mis-wired stream; refuse to build on it.
function corrupt(state: PaymentState, event: PaymentEvent): never {
  throw new TributaryError('internal', `${event.type} cannot apply to a payment in state ${state.status}`, {
    details: { type: event.type, status: state.status, version: state.version },
  });
}

/** Applies one payment event. */
export function evolvePayment(state: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case 'PaymentRecorded': {
      if (isPayment(state)) return corrupt(state, event);
      const { data } = event;
      return {
        id: data.paymentId,
        orderId: data.orderId,
        status: 'captured',
        amount: data.amount,
        refundedAmount: 0,
        currency: data.currency,
        method: data.method,
        recordedAt: data.recordedAt,
        updatedAt: data.recordedAt,
        version: state.version + 1,
      };
    }
    case 'PaymentRefunded': {
      if (!isPayment(state)) return corrupt(state, event);
      const refundedAmount = state.refundedAmount + event.data.amount;
      return {
        ...state,
        refundedAmount,
        status: refundedAmount >= state.amount ? 'refunded' : 'partially_refunded',
        updatedAt: event.data.refundedAt,
        version: state.version + 1,
      };
    }
  }
}
