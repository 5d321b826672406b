/**
 * The order-fulfilment saga's vocabulary: its states, what it remembers of an order, and its steps.
 *
 * reserving → capturing → completed, or → compensated | timed_out. `reserving` exists only inside the
 * transaction that handles OrderConfirmed: that transaction commits the saga as `capturing` or `compensated`.
 */
export const SAGA_STATES = ['reserving', 'capturing', 'completed', 'compensated', 'timed_out'] as const;
export type SagaState = (typeof SAGA_STATES)[number];

/** A line of the order as the saga reserves it. */
export interface SagaLine {
  readonly sku: string;
  readonly quantity: number;
}

/** What the saga remembers of an order (the `data` column). */
export interface SagaData {
  readonly lines: readonly SagaLine[];
  /** Minor units of `currency`: the order's total when it was confirmed. */
  readonly amount: number;
  readonly currency: string;
  /** The OrderConfirmed event that started the saga: the causation id of its first commands. */
  readonly confirmedEventId: string;
  /** SKUs reserved for the order and not yet released or committed. */
  readonly reserved: readonly string[];
  /** The gateway's capture, once one is known. */
  readonly captureId?: string;
  /** The payment recorded for the capture (payments aggregate). */
  readonly paymentId?: string;
  /** A refund of the capture made while compensating. */
  readonly refundId?: string;
  /** Why the saga was compensated or timed out, as the customer reads it on the cancelled order. */
  readonly reason?: string;
  /** The last gateway failure while capturing (the capture is retried until the payment timer fires). */
  readonly lastError?: string;
}

export interface Saga {
  readonly orderId: string;
  readonly state: SagaState;
  readonly data: SagaData;
  /** Capture attempts that met an unavailable gateway. */
  readonly attempts: number;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** Kinds of step a saga records, in the order they usually come. */
export type StepName =
  | 'started'
  | 'reserve'
  | 'capture'
  | 'record-payment'
  | 'commit-reservations'
  | 'ready-to-ship'
  | 'release'
  | 'refund'
  | 'cancel-order'
  | 'timer-fired'
  | 'customer-cancelled';

/** `done` for a step taken, `failed` for one the world refused, `compensation` for one undoing another. */
export type StepOutcome = 'done' | 'failed' | 'retrying' | 'compensation';

export interface SagaStep {
  readonly seq: number;
  readonly step: StepName;
  readonly outcome: StepOutcome;
  readonly at: string;
  readonly detail: Record<string, unknown> | null;
}

/**
 * Timers a saga sets; each fires once, by time, whatever process is running then. `payment`: the capture
 * did not succeed in time. `reservation`: the stock was held too long (a cap on holding stock, whatever the
 * payment timeout; the first to fire ends the saga).
 */
export type TimerKind = 'payment' | 'reservation';

/** True once nothing more happens to the saga. */
export function isTerminal(state: SagaState): boolean {
  return state === 'completed' || state === 'compensated' || state === 'timed_out';
}
