import type { Executor } from '../db/executor';
import { checkGatewayCaptures } from './saga-gateway';
import {
  checkSagaPayments,
  checkSagaStates,
  checkSagaSteps,
  type GatewayCapture,
  type OrderEnds,
  type PaymentRow,
  type SagaRow,
  type StepRow,
  type StockEvent,
} from './saga-rules';
import { checkSagaStock } from './saga-stock';
import type { CheckResult, Problem, VerifyWindow } from './types';

/**
 * The order-fulfilment saga's check: read the saga tables and the events it caused (inventory, payments, the
 * order's end), then apply the rules of saga-rules.ts and saga-stock.ts; ask the gateway too when verify was
 * given a way to. Reads whole tables: it is meant for a quiet pipeline of a test, a demo or an incident review.
 * A database where no saga ever ran is skipped (a deployment without the saga).
 */

/** Looks up the capture the saga made (or would make) for an order, by its idempotency key. */
export type CaptureLookup = (orderId: string) => Promise<GatewayCapture | undefined>;

export interface SagaCheckOutput {
  results: CheckResult[];
  problems: Problem[];
  notes: string[];
  /** Sagas still working (a timer ahead): not failures, but verify ran too early for them. */
  inProgress: number;
}

const SAGAS_SQL = `
  select s.order_id, s.state, s.data, s.started_at,
         (select min(t.fire_at) from saga_timers t where t.order_id = s.order_id) as timer_at
    from sagas s order by s.order_id`;

const STEPS_SQL = `select order_id, step, outcome, detail->>'sku' as sku from saga_steps order by order_id, seq`;

const STOCK_SQL = `
  select data->>'sku' as sku, stream_version::int as version, event_type as type, data->>'orderId' as order_id,
         coalesce((data->>'quantity')::int, (data->>'delta')::int, 0) as quantity
    from events where stream_type = 'inventory' order by stream_id, stream_version`;

const ORDER_ENDS_SQL = `
  select substr(stream_id, 7) as order_id, event_type, count(*)::int as n
    from events
   where stream_type = 'order' and event_type in ('OrderConfirmed', 'OrderReadyToShip')
     and ($1::timestamptz is null or recorded_at >= $1)
   group by stream_id, event_type`;

const PAYMENTS_SQL = `
  select r.data->>'paymentId' as payment_id, r.data->>'orderId' as order_id, (r.data->>'amount')::bigint as amount,
         coalesce((select sum((f.data->>'amount')::bigint) from events f
                    where f.stream_id = r.stream_id and f.event_type = 'PaymentRefunded'), 0) as refunded
    from events r where r.event_type = 'PaymentRecorded'`;

interface SagaDbRow {
  order_id: string;
  state: string;
  data: { lines?: SagaRow['lines']; amount?: number; captureId?: string };
  started_at: Date;
  timer_at: Date | null;
}

function toSagaRow(row: SagaDbRow): SagaRow {
  return {
    orderId: row.order_id,
    state: row.state,
    lines: row.data.lines ?? [],
    amount: Number(row.data.amount ?? 0),
    captureId: row.data.captureId,
    timerAt: row.timer_at?.toISOString(),
  };
}

async function readOrderEnds(executor: Executor, window: VerifyWindow): Promise<OrderEnds> {
  const rows = await executor.query<{ order_id: string; event_type: string; n: number }>(ORDER_ENDS_SQL, [
    window.since?.toISOString() ?? null,
  ]);
  const readyToShip = new Map<string, number>();
  for (const row of rows.filter((r) => r.event_type === 'OrderReadyToShip'))
    readyToShip.set(row.order_id, row.n);
  return {
    readyToShip,
    confirmed: rows.filter((r) => r.event_type === 'OrderConfirmed').map((r) => r.order_id),
  };
}

async function readPayments(executor: Executor): Promise<PaymentRow[]> {
  const rows = await executor.query<{
    payment_id: string;
    order_id: string;
    amount: string;
    refunded: string;
  }>(PAYMENTS_SQL);
  return rows.map((r) => ({
    paymentId: r.payment_id,
    orderId: r.order_id,
    amount: Number(r.amount),
    refunded: Number(r.refunded),
  }));
}

async function readStock(executor: Executor): Promise<StockEvent[]> {
  const rows = await executor.query<{
    sku: string;
    version: number;
    type: string;
    order_id: string | null;
    quantity: number;
  }>(STOCK_SQL);
  return rows.map((r) => ({
    sku: r.sku,
    version: r.version,
    type: r.type,
    orderId: r.order_id ?? undefined,
    quantity: r.quantity,
  }));
}

/** The gateway's captures of the sagas that asked for one (a capture step, or a timer that looked). */
async function lookUpCaptures(
  sagas: readonly SagaRow[],
  steps: readonly StepRow[],
  lookup: CaptureLookup,
): Promise<Map<string, GatewayCapture | undefined>> {
  const asked = new Set(
    steps.filter((s) => s.step === 'capture' || s.step === 'timer-fired').map((s) => s.orderId),
  );
  const ids = sagas.map((s) => s.orderId).filter((id) => asked.has(id));
  const captures = new Map<string, GatewayCapture | undefined>();
  for (let i = 0; i < ids.length; i += 8) {
    const batch = ids.slice(i, i + 8);
    const found = await Promise.all(batch.map((id) => lookup(id)));
    batch.forEach((id, j) => captures.set(id, found[j]));
  }
  return captures;
}

async function readSteps(executor: Executor, orderIds: ReadonlySet<string>): Promise<StepRow[]> {
  const rows = await executor.query<{ order_id: string; step: string; outcome: string; sku: string | null }>(
    STEPS_SQL,
  );
  return rows
    .filter((r) => orderIds.has(r.order_id))
    .map((r) => ({ orderId: r.order_id, step: r.step, outcome: r.outcome, sku: r.sku ?? undefined }));
}

/**
 * Runs the saga rules. With a window, only the sagas started in it (and orders confirmed in it) are checked;
 * the stock is always replayed whole, against every saga.
 */
export async function checkSagas(
  executor: Executor,
  window: VerifyWindow,
  lookup?: CaptureLookup,
  now = Date.now(),
): Promise<SagaCheckOutput> {
  const rows = await executor.query<SagaDbRow>(SAGAS_SQL);
  if (rows.length === 0) {
    const notes = ['saga: no saga has run in this database; the saga check was skipped'];
    return { results: [], problems: [], notes, inProgress: 0 };
  }
  const all = rows.map(toSagaRow);
  const since = window.since;
  const sagas = since ? rows.filter((r) => r.started_at >= since).map(toSagaRow) : all;
  const steps = await readSteps(executor, new Set(sagas.map((s) => s.orderId)));
  const ends = await readOrderEnds(executor, window);
  const outputs = [
    checkSagaStates(sagas, ends.confirmed, now),
    checkSagaPayments(sagas, steps, await readPayments(executor), ends),
    checkSagaSteps(steps),
    checkSagaStock(await readStock(executor), all),
  ];
  if (lookup) outputs.push(checkGatewayCaptures(sagas, await lookUpCaptures(sagas, steps, lookup)));
  const { inProgress } = outputs[0] as ReturnType<typeof checkSagaStates>;
  return {
    results: outputs.map((o) => o.result),
    problems: outputs.flatMap((o) => o.problems),
    notes:
      inProgress > 0
        ? [`saga: ${inProgress} sagas still in progress (a timer ahead); not counted as failures`]
        : [],
    inProgress,
  };
}

/** Sagas not yet terminal: what a harness waits on before it runs verify. */
export async function sagasInProgress(executor: Executor): Promise<number> {
  const rows = await executor.query<{ n: number }>(
    `select count(*)::int as n from sagas where state not in ('completed', 'compensated', 'timed_out')`,
  );
  return rows[0]?.n ?? 0;
}
