import type { DomainEvent } from '../decider';

/** How a payment was made. */
export const PAYMENT_METHODS = ['card', 'bank_transfer', 'wallet', 'cash'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export type PaymentRecordedData = {
  readonly paymentId: string;
  readonly orderId: string;
  /**
   * Captured amount in minor units of `currency`.
   * @asType integer
   * @minimum 1
   */
  readonly amount: number;
  readonly currency: string;
  readonly method: PaymentMethod;
  /** @format date-time */
  readonly recordedAt: string;
};

export type PaymentRefundedData = {
  readonly paymentId: string;
  /**
   * Refunded amount in minor units of `currency` (always the payment's currency).
   * @asType integer
   * @minimum 1
   */
  readonly amount: number;
  readonly currency: string;
  readonly reason: string;
  /** @format date-time */
  readonly refundedAt: string;
};

/** Money was captured for an order. */
export type PaymentRecorded = DomainEvent<'PaymentRecorded', PaymentRecordedData>;
/** Part or all of a captured payment was given back. */
export type PaymentRefunded = DomainEvent<'PaymentRefunded', PaymentRefundedData>;

/** Every fact the Payment aggregate records. */
export type PaymentEvent = PaymentRecorded | PaymentRefunded;

/** The schema version `decide` writes for each payment event type. */
export const paymentSchemaVersions = {
  PaymentRecorded: 1,
  PaymentRefunded: 1,
} as const satisfies Record<PaymentEvent['type'], number>;
