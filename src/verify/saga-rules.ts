import { emptyCheck, ProblemList, type CheckResult, type Problem } from './types';

/**
 * The saga check's rules, on rows already read: pure functions, one per row of the report. The order-fulfilment
 * saga (src/saga) keeps one `sagas` row per confirmed order, its steps and its timers; what it did shows in the
 * event store too (reservations, payments, the order's end). These rules say whether both agree and add up.
 */

export const SAGA_TERMINAL_STATES = ['completed', 'compensated', 'timed_out'] as const;

/** A saga not terminal whose next timer is due at most this long ago is in progress, not stuck. */
export const TIMER_GRACE_MS = 60_000;

export interface SagaRow {
  readonly orderId: string;
  readonly state: string;
  readonly lines: readonly { readonly sku: string; readonly quantity: number }[];
  readonly amount: number;
  readonly captureId?: string | undefined;
  /** The saga's earliest timer, if it has one. */
  readonly timerAt?: string | undefined;
}

export interface StepRow {
  readonly orderId: string;
  readonly step: string;
  readonly outcome: string;
  readonly sku?: string | undefined;
}

/** One event of an inventory stream, in stream order. */
export interface StockEvent {
  readonly sku: string;
  readonly version: number;
  readonly type: string;
  readonly orderId?: string | undefined;
  /** Units received, adjusted (signed), reserved, released or committed. */
  readonly quantity: number;
}

export interface PaymentRow {
  readonly paymentId: string;
  readonly orderId: string;
  readonly amount: number;
  /** Σ of its PaymentRefunded amounts. */
  readonly refunded: number;
}

/** Order events the saga issues, counted per order. */
export interface OrderEnds {
  readonly readyToShip: ReadonlyMap<string, number>;
  /** Orders with an OrderConfirmed event (each must have a saga). */
  readonly confirmed: readonly string[];
}

/** The gateway's capture of an order, when the gateway was asked. */
export interface GatewayCapture {
  readonly id: string;
  readonly status: 'captured' | 'declined';
  readonly amount: number;
  readonly refundedAmount: number;
}

export interface RuleOutput {
  result: CheckResult;
  problems: Problem[];
}

const isTerminal = (state: string) => (SAGA_TERMINAL_STATES as readonly string[]).includes(state);

/** Whether a saga is still working (not terminal, a timer ahead or just due); the others are terminal or stuck. */
export function isInProgress(saga: SagaRow, now: number): boolean {
  if (isTerminal(saga.state) || saga.timerAt === undefined) return false;
  return Date.parse(saga.timerAt) > now - TIMER_GRACE_MS;
}

export const SAGA_STATES_CHECK = 'saga states';

/** Every confirmed order has a saga, and every saga ended (or is still in progress with a timer ahead). */
export function checkSagaStates(sagas: readonly SagaRow[], confirmed: readonly string[], now: number) {
  const result = { ...emptyCheck(SAGA_STATES_CHECK), checked: sagas.length };
  const list = new ProblemList();
  const known = new Set(sagas.map((saga) => saga.orderId));
  for (const orderId of confirmed) {
    if (known.has(orderId)) continue;
    result.missing += 1;
    list.note(SAGA_STATES_CHECK, 'missing', orderId, `order ${orderId} was confirmed but has no saga`);
  }
  let inProgress = 0;
  for (const saga of sagas) {
    if (isTerminal(saga.state)) continue;
    if (isInProgress(saga, now)) {
      inProgress += 1;
      continue;
    }
    result.mismatched += 1;
    const timer = saga.timerAt ? `its timer was due at ${saga.timerAt}` : 'it has no timer';
    list.note(SAGA_STATES_CHECK, 'mismatched', saga.orderId, `saga stuck in ${saga.state}: ${timer}`);
  }
  return { result, problems: list.problems, inProgress };
}

export const SAGA_PAYMENTS_CHECK = 'saga payments';

/**
 * Money: every payment of a saga's order belongs to an order ready to ship (saga completed) or was refunded in
 * full; every capture step too; a completed saga has its payment and its OrderReadyToShip, each once.
 */
export function checkSagaPayments(
  sagas: readonly SagaRow[],
  steps: readonly StepRow[],
  payments: readonly PaymentRow[],
  ends: OrderEnds,
): RuleOutput {
  const result = { ...emptyCheck(SAGA_PAYMENTS_CHECK) };
  const list = new ProblemList();
  const note = (kind: 'missing' | 'duplicated' | 'mismatched', id: string, detail: string) => {
    result[kind] += 1;
    list.note(SAGA_PAYMENTS_CHECK, kind, id, detail);
  };
  const byOrder = new Map(sagas.map((saga) => [saga.orderId, saga]));
  const shipped = (orderId: string) =>
    byOrder.get(orderId)?.state === 'completed' && (ends.readyToShip.get(orderId) ?? 0) >= 1;
  const paid = countBy(payments, (p) => p.orderId);
  for (const payment of payments) {
    if (!byOrder.has(payment.orderId)) continue;
    result.checked += 1;
    if (shipped(payment.orderId) || payment.refunded >= payment.amount) continue;
    note(
      'mismatched',
      payment.orderId,
      `payment ${payment.paymentId} (${payment.amount}) of order ${payment.orderId}: the order is neither ready to ship nor refunded`,
    );
  }
  const refunded = new Set(refundSteps(steps).map((s) => s.orderId));
  for (const step of steps.filter((s) => s.step === 'capture' && s.outcome === 'done')) {
    result.checked += 1;
    if (shipped(step.orderId) || refunded.has(step.orderId)) continue;
    note('mismatched', step.orderId, `order ${step.orderId} was captured but neither shipped nor refunded`);
  }
  for (const saga of sagas.filter((s) => s.state === 'completed')) {
    result.checked += 1;
    if ((paid.get(saga.orderId) ?? 0) === 0)
      note('missing', saga.orderId, `saga of order ${saga.orderId} completed without a payment`);
    if ((ends.readyToShip.get(saga.orderId) ?? 0) === 0)
      note('missing', saga.orderId, `saga of order ${saga.orderId} completed without OrderReadyToShip`);
  }
  for (const [orderId, n] of paid)
    if (n > 1 && byOrder.has(orderId)) note('duplicated', orderId, `order ${orderId} has ${n} payments`);
  for (const [orderId, n] of ends.readyToShip)
    if (n > 1) note('duplicated', orderId, `order ${orderId} has ${n} OrderReadyToShip events`);
  return { result, problems: list.problems };
}

const refundSteps = (steps: readonly StepRow[]) =>
  steps.filter((s) => s.step === 'refund' && s.outcome === 'compensation');

/** Steps a saga takes at most once (per SKU for reservations and releases). */
const ONCE: readonly { step: string; outcome: string; perSku?: boolean }[] = [
  { step: 'started', outcome: 'done' },
  { step: 'capture', outcome: 'done' },
  { step: 'capture', outcome: 'failed' },
  { step: 'record-payment', outcome: 'done' },
  { step: 'commit-reservations', outcome: 'done' },
  { step: 'ready-to-ship', outcome: 'done' },
  { step: 'refund', outcome: 'compensation' },
  { step: 'cancel-order', outcome: 'compensation' },
  { step: 'timer-fired', outcome: 'failed' },
  { step: 'reserve', outcome: 'done', perSku: true },
  { step: 'release', outcome: 'compensation', perSku: true },
];

export const SAGA_STEPS_CHECK = 'saga steps';

/** No step ran twice: one capture, one payment, one reservation per order and SKU, one refund… */
export function checkSagaSteps(steps: readonly StepRow[]): RuleOutput {
  const result = { ...emptyCheck(SAGA_STEPS_CHECK), checked: steps.length };
  const list = new ProblemList();
  for (const once of ONCE) {
    const taken = steps.filter((s) => s.step === once.step && s.outcome === once.outcome);
    const counts = countBy(taken, (s) => (once.perSku ? `${s.orderId} ${s.sku ?? ''}` : s.orderId));
    for (const [key, n] of counts) {
      if (n <= 1) continue;
      result.duplicated += 1;
      const [orderId = key, sku] = key.split(' ');
      const what = `${once.step} ${once.outcome}${sku ? ` for ${sku}` : ''}`;
      list.note(SAGA_STEPS_CHECK, 'duplicated', orderId, `order ${orderId}: ${what} ${n} times`);
    }
  }
  return { result, problems: list.problems };
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
