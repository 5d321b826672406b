import { spec } from '../specification';
import type { RecordPayment, RefundPayment } from './commands';
import { paymentDecider } from './decider';
import type { PaymentRecorded, PaymentRefunded } from './events';
import { refundableAmount, type Payment } from './state';

const at = '2024-05-01T10:00:00Z';
const later = '2024-05-02T10:00:00Z';
const paymentId = 'payment-1';

const recordPayment: RecordPayment = {
  type: 'RecordPayment',
  paymentId,
  orderId: 'order-1',
  amount: 5000,
  currency: 'EUR',
  method: 'card',
  at,
};
const recorded: PaymentRecorded = {
  type: 'PaymentRecorded',
  schemaVersion: 1,
  data: { paymentId, orderId: 'order-1', amount: 5000, currency: 'EUR', method: 'card', recordedAt: at },
};
const refundPayment: RefundPayment = {
  type: 'RefundPayment',
  paymentId,
  amount: 2000,
  currency: 'EUR',
  reason: 'damaged cup',
  at: later,
};
const refunded = (amount: number): PaymentRefunded => ({
  type: 'PaymentRefunded',
  schemaVersion: 1,
  data: { paymentId, amount, currency: 'EUR', reason: 'damaged cup', refundedAt: later },
});

const payment = spec(paymentDecider);

describe('RecordPayment', () => {
  it('records a captured payment', () => {
    const { state } = payment.given([]).when(recordPayment).then([recorded]);
    expect(state).toMatchObject({ status: 'captured', amount: 5000, refundedAmount: 0, version: 1 });
  });

  it('a payment cannot be recorded twice', () => {
    payment.given([recorded]).when(recordPayment).thenThrows('domain.rule', 'already recorded');
  });

  it.each([
    ['zero', 0],
    ['negative', -100],
    ['fractional', 10.5],
  ])('a payment amount must be a positive integer (%s is rejected)', (_, amount) => {
    payment
      .given([])
      .when({ ...recordPayment, amount })
      .thenThrows('domain.validation', 'amount');
  });

  it('a payment needs a known currency', () => {
    payment
      .given([])
      .when({ ...recordPayment, currency: 'XYZ' })
      .thenThrows('domain.validation', 'currency');
  });

  it('a payment needs a known method', () => {
    payment
      .given([])
      .when({ ...recordPayment, method: 'iou' } as unknown as RecordPayment)
      .thenThrows('domain.validation', 'method');
  });
});

describe('RefundPayment', () => {
  it('refunds part of a payment', () => {
    const { state } = payment
      .given([recorded])
      .when(refundPayment)
      .then([refunded(2000)]);
    expect(state).toMatchObject({ status: 'partially_refunded', refundedAmount: 2000, updatedAt: later });
    expect(refundableAmount(state as Payment)).toBe(3000);
  });

  it('refunds the whole payment, in several steps', () => {
    const { state } = payment
      .given([recorded, refunded(2000)])
      .when({ ...refundPayment, amount: 3000 })
      .then([refunded(3000)]);
    expect(state).toMatchObject({ status: 'refunded', refundedAmount: 5000, version: 3 });
  });

  it('a refund never exceeds what was captured', () => {
    payment
      .given([recorded])
      .when({ ...refundPayment, amount: 5001 })
      .thenThrows('domain.rule', 'exceeds');
  });

  it('a refund never exceeds what was captured minus what was already refunded', () => {
    payment
      .given([recorded, refunded(2000), refunded(2000)])
      .when({ ...refundPayment, amount: 1001 })
      .thenThrows('domain.rule', 'exceeds the refundable 1000');
  });

  it('a fully refunded payment cannot be refunded again', () => {
    payment
      .given([recorded, refunded(5000)])
      .when({ ...refundPayment, amount: 1 })
      .thenThrows('domain.rule');
  });

  it('a refund must be in the currency of the payment', () => {
    payment
      .given([recorded])
      .when({ ...refundPayment, currency: 'USD' })
      .thenThrows('domain.rule', 'currency');
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 0.5],
  ])('a refund amount must be a positive integer (%s is rejected)', (_, amount) => {
    payment
      .given([recorded])
      .when({ ...refundPayment, amount })
      .thenThrows('domain.validation', 'amount');
  });

  it('a refund needs a reason', () => {
    payment
      .given([recorded])
      .when({ ...refundPayment, reason: '' })
      .thenThrows('domain.validation', 'reason');
  });

  it('a payment that was never recorded cannot be refunded', () => {
    payment.given([]).when(refundPayment).thenThrows('domain.rule', 'does not exist');
  });
});

describe('payment history', () => {
  it('a refund stored before its payment means a corrupt stream and is refused', () => {
    expect(() => paymentDecider.evolve(paymentDecider.initialState(), refunded(1))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
  });
});
