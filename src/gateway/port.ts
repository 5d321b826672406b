/**
 * The payment gateway as the order workflow sees it: capture an order's amount, refund a capture, and look a
 * capture up by the idempotency key it was asked with. Every call carries an idempotency key, so a retried
 * capture never charges twice; a capture whose answer was lost is found again by its key.
 *
 * Failures: a decline is an answer (a capture with status `declined`), not an error. A timeout, a dropped
 * connection or a 5xx is TributaryError `infra.unavailable` (retriable): the caller does not know whether the
 * capture happened and asks `findCapture` before trying again. A refused credential is `infra.denied`; a
 * refund larger than what is left is `domain.rule`.
 */

export interface CaptureRequest {
  readonly idempotencyKey: string;
  readonly orderId: string;
  /** Minor units. */
  readonly amount: number;
  readonly currency: string;
}

export interface Capture {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: 'captured' | 'declined';
  /** Why a capture was declined, readable by the customer. */
  readonly declineReason?: string;
  readonly refundedAmount: number;
  readonly at: string;
}

export interface RefundRequest {
  readonly idempotencyKey: string;
  readonly captureId: string;
  readonly amount: number;
}

export interface Refund {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly captureId: string;
  readonly amount: number;
  readonly at: string;
}

export interface PaymentGateway {
  capture(request: CaptureRequest): Promise<Capture>;
  refund(request: RefundRequest): Promise<Refund>;
  /** The capture asked for with `idempotencyKey`, or undefined when the gateway never made one. */
  findCapture(idempotencyKey: string): Promise<Capture | undefined>;
}
