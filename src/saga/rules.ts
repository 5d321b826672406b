/**
 * The saga's pure rules: the idempotency keys and ids that make each step happen once whoever retries it,
 * the reasons a customer reads on a cancelled order, and the backoff between capture attempts.
 */

/** The gateway capture of an order: one key per order, so a retried capture never charges twice. */
export const captureKeyOf = (orderId: string): string => `saga-${orderId}-capture`;

/** The refund of an order's capture while compensating: one per order. */
export const refundKeyOf = (orderId: string): string => `saga-${orderId}-refund`;

/** The payment the saga records for an order's capture (payments aggregate id). */
export const paymentIdOf = (orderId: string): string => `saga-${orderId}`;

/** The actor the saga's commands carry in their events' metadata. */
export const SAGA_ACTOR = 'saga';

/** Reasons a customer reads on an order the saga cancelled. */
export const reasons = {
  outOfStock: (sku: string) => `out of stock: ${sku}`,
  declined: (why: string | undefined) => `payment declined: ${why ?? 'the payment was declined'}`,
  notCapturedInTime: 'payment not captured in time',
  heldTooLong: 'stock held too long waiting for the payment',
  cancelledByCustomer: 'cancelled by the customer',
} as const;

/**
 * The wait before capture attempt `attempts + 1` after `attempts` attempts met an unavailable gateway:
 * doubling from `baseMs`, capped at `maxMs`, with up to a fifth of jitter (`random` in [0, 1)) so sagas
 * that failed together do not retry together.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const capped = Math.min(baseMs * 2 ** exponent, maxMs);
  return Math.round(capped * (1 - 0.2 * random));
}
