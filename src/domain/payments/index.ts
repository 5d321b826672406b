export { requirePayable, type PaymentRequest } from './against-order';
export type { PaymentCommand, RecordPayment, RefundPayment } from './commands';
export { decidePayment } from './decide';
export { paymentDecider } from './decider';
export {
  PAYMENT_METHODS,
  paymentSchemaVersions,
  type PaymentEvent,
  type PaymentMethod,
  type PaymentRecorded,
  type PaymentRecordedData,
  type PaymentRefunded,
  type PaymentRefundedData,
} from './events';
export {
  evolvePayment,
  initialPaymentState,
  isPayment,
  refundableAmount,
  type NoPayment,
  type Payment,
  type PaymentState,
  type PaymentStatus,
} from './state';
export { toPaymentView, type PaymentView } from './view';
