import type { Decider } from '../decider';
import type { PaymentCommand } from './commands';
import { decidePayment } from './decide';
import type { PaymentEvent } from './events';
import { evolvePayment, initialPaymentState, type PaymentState } from './state';

/** The Payment aggregate: one stream per payment, refunds included. */
export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = {
  decide: decidePayment,
  evolve: evolvePayment,
  initialState: initialPaymentState,
};
