import {
  forbidden,
  invalid,
  requireOneOf,
  requireSameStream,
  requireText,
  requireTimestamp,
} from '../guards';
import { requireAmount, requireCurrency } from '../money';
import type { PaymentCommand, RecordPayment, RefundPayment } from './commands';
import {
  PAYMENT_METHODS,
  paymentSchemaVersions,
  type PaymentEvent,
  type PaymentRecorded,
  type PaymentRefunded,
} from './events';
import { isPayment, refundableAmount, type PaymentState } from './state';

// As for orders: validate the command first, then ask the state, so the error code says which.

function record(command: RecordPayment, state: PaymentState): PaymentRecorded {
  const paymentId = requireText(command.paymentId, 'paymentId');
  const data = {
    paymentId,
    orderId: requireText(command.orderId, 'orderId'),
    amount: requireAmount(command.amount, 'amount', { allowZero: false }),
    currency: requireCurrency(command.currency),
    method: requireOneOf(command.method, PAYMENT_METHODS, 'method'),
    recordedAt: requireTimestamp(command.at, 'at'),
  };
  if (isPayment(state)) forbidden(`payment ${paymentId} is already recorded`, { paymentId });
  return { type: 'PaymentRecorded', schemaVersion: paymentSchemaVersions.PaymentRecorded, data };
}

function refund(command: RefundPayment, state: PaymentState): PaymentRefunded {
  const paymentId = requireText(command.paymentId, 'paymentId');
  const data = {
    paymentId,
    amount: requireAmount(command.amount, 'amount', { allowZero: false }),
    currency: requireCurrency(command.currency),
    reason: requireText(command.reason, 'reason'),
    refundedAt: requireTimestamp(command.at, 'at'),
  };
  if (!isPayment(state)) return forbidden(`payment ${paymentId} does not exist`, { paymentId });
  requireSameStream(state.id, paymentId, 'paymentId');
  // Compared against the payment, so it is a rule: the same refund is fine for another payment.
  if (data.currency !== state.currency) {
    forbidden(`refund currency ${data.currency} does not match payment currency ${state.currency}`, {
      paymentId,
      currency: data.currency,
      paymentCurrency: state.currency,
    });
  }
  const refundable = refundableAmount(state);
  if (data.amount > refundable) {
    forbidden(`refund of ${data.amount} exceeds the refundable ${refundable}`, {
      paymentId,
      amount: data.amount,
      refundable,
    });
  }
  return { type: 'PaymentRefunded', schemaVersion: paymentSchemaVersions.PaymentRefunded, data };
}

/** Decides what a payment command changes; throws `domain.validation` or `domain.rule` on rejection. */
export function decidePayment(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  switch (command.type) {
    case 'RecordPayment':
      return [record(command, state)];
    case 'RefundPayment':
      return [refund(command, state)];
    default:
      return invalid('unknown payment command', { type: (command as { type?: unknown }).type });
  }
}
