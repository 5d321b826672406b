import { performance } from 'node:perf_hooks';
import { seededRandom } from '../../test/fixtures/random';

/**
 * The command mix of the latency bench: orders that live a realistic life. Each order is placed with 1–3
 * lines, gets 0–2 more lines (sometimes one removed), is confirmed (85%) or cancelled (15%), and a confirmed
 * order is paid (and 5% of payments are partly refunded). An order's commands run one after the other, with
 * a think time between them, as a client waiting for each answer would send them.
 */

export type Step =
  | {
      kind: 'create';
      orderId: string;
      customer: { id: string; name: string; email: string };
      lines: Line[];
      currency: string;
    }
  | { kind: 'add-line'; orderId: string; line: Line }
  | { kind: 'remove-line'; orderId: string; sku: string }
  | { kind: 'confirm'; orderId: string }
  | { kind: 'cancel'; orderId: string; reason: string }
  | { kind: 'pay'; orderId: string; paymentId: string; amount: number; currency: string; method: 'card' }
  | { kind: 'refund'; paymentId: string; amount: number; currency: string; reason: string };

export interface Line {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

/** The commands of one order's life, in order. */
export function planOrder(random: () => number, orderId: string): Step[] {
  const pick = (n: number) => Math.floor(random() * n);
  const line = (i: number): Line => ({
    sku: `SKU-${String(i).padStart(5, '0')}`,
    name: `Product ${i}`,
    quantity: 1 + pick(4),
    unitPrice: 100 + pick(20_000),
  });
  const skus = new Set<number>();
  const fresh = () => {
    let sku = pick(50_000);
    while (skus.has(sku)) sku = pick(50_000);
    skus.add(sku);
    return line(sku);
  };
  const lines = Array.from({ length: 1 + pick(3) }, fresh);
  const currency = 'EUR';
  const steps: Step[] = [
    {
      kind: 'create',
      orderId,
      customer: { id: `c-${pick(100_000)}`, name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [...lines],
      currency,
    },
  ];
  for (let i = pick(3); i > 0; i--) {
    const added = fresh();
    lines.push(added);
    steps.push({ kind: 'add-line', orderId, line: added });
  }
  if (lines.length > 1 && random() < 0.1) {
    const removed = lines.splice(pick(lines.length), 1)[0]!;
    steps.push({ kind: 'remove-line', orderId, sku: removed.sku });
  }
  if (random() < 0.15) {
    steps.push({ kind: 'cancel', orderId, reason: 'customer changed their mind' });
    return steps;
  }
  steps.push({ kind: 'confirm', orderId });
  const amount = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  const paymentId = `${orderId}-p`;
  steps.push({ kind: 'pay', orderId, paymentId, amount, currency, method: 'card' });
  if (random() < 0.05) {
    steps.push({ kind: 'refund', paymentId, amount: Math.ceil(amount / 2), currency, reason: 'damaged' });
  }
  return steps;
}

interface Session {
  steps: Step[];
  readyAt: number;
}

/**
 * Hands out the next command: the next step of the order that has waited longest since its previous
 * answer (and its think time), or the first step of a new order when none is ready. An order whose command
 * failed is abandoned (its later steps would fail too).
 */
export class OrderSessions {
  private readonly ready: Session[] = [];
  private readonly random: () => number;
  private created = 0;

  constructor(
    private readonly runId: string,
    private readonly thinkMs: number,
    seed = 42,
  ) {
    this.random = seededRandom(seed);
  }

  get ordersCreated(): number {
    return this.created;
  }

  take(): { step: Step; done(ok: boolean): void } {
    const now = performance.now();
    let session =
      this.ready[0] !== undefined && this.ready[0].readyAt <= now ? this.ready.shift() : undefined;
    if (!session) {
      session = { steps: planOrder(this.random, `${this.runId}-${this.created++}`), readyAt: now };
    }
    const current = session;
    const step = current.steps.shift()!;
    return {
      step,
      done: (ok) => {
        if (!ok || current.steps.length === 0) return;
        // Answers arrive in roughly increasing time, so appending keeps the queue ordered by readyAt.
        current.readyAt = performance.now() + this.thinkMs;
        this.ready.push(current);
      },
    };
  }
}
