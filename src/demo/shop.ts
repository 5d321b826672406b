import { randomUUID } from 'node:crypto';
import type { OrderView } from '../domain/orders/view';
import { CANCEL_REASONS, CHANNELS, PRODUCTS, type DemoCustomer, type Product } from './catalog';

/**
 * The demo shop's clients: what they send next, given what the API answered about each order so far — new
 * orders, line changes, confirmations and cancellations, plus a few late changes to closed orders, which the
 * domain refuses with 422 as it would in real life. Payments are not theirs: the fulfilment saga captures
 * each confirmed order's payment at the gateway and records it. Pure planning: `Workload` sends.
 */

/** What the workload knows of an order, from the API's answers. */
export interface TrackedOrder {
  readonly id: string;
  status: OrderView['status'];
  skus: string[];
  currency: string;
  totalAmount: number;
  version: number;
}

export type StepKind = 'create' | 'addLine' | 'removeLine' | 'confirm' | 'cancel' | 'lateChange';

export interface Step {
  kind: StepKind;
  /** The order it acts on, kept from other commands until answered. */
  order?: TrackedOrder;
  method: 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** Headers of this command (beyond the demo's credential). */
  headers?: Record<string, string>;
  /** Updates what the workload knows from a 2xx answer's body. */
  onAccepted(body: unknown): void;
}

/**
 * How often each command comes up, in percent; without a suitable order, a new order is placed instead.
 * Confirmations are kept to about 20 a second at the default rate: each starts a saga (several
 * transactions and events), and more than that outruns one saga process on a busy 2-core machine.
 */
const MIX: readonly (readonly [StepKind, number])[] = [
  ['create', 35],
  ['addLine', 26],
  ['removeLine', 10],
  ['confirm', 13],
  ['cancel', 8],
  ['lateChange', 8],
];

/** Decides the next command from what the shop's orders look like now. */
export class Shop {
  readonly orders = new Map<string, TrackedOrder>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly customers: readonly DemoCustomer[],
    private readonly random: () => number,
  ) {}

  next(): Step {
    let r = this.random() * 100;
    const kind = MIX.find(([, percent]) => (r -= percent) < 0)?.[0] ?? 'create';
    return this.make[kind]() ?? this.create();
  }

  private readonly make: Record<StepKind, () => Step | undefined> = {
    create: () => this.create(),
    addLine: () => this.addLine(),
    removeLine: () => this.removeLine(),
    confirm: () => this.confirm(),
    cancel: () => this.cancel(),
    lateChange: () => this.lateChange(),
  };

  release(step: Step): void {
    if (step.order) this.busy.delete(step.order.id);
  }

  private pickOne<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** A random idle order matching `test`, checked out until its command is answered. */
  private pickOrder(test: (order: TrackedOrder) => boolean): TrackedOrder | undefined {
    const candidates = [...this.orders.values()].filter((o) => !this.busy.has(o.id) && test(o));
    if (candidates.length === 0) return undefined;
    const order = this.pickOne(candidates);
    this.busy.add(order.id);
    return order;
  }

  private newProduct(order?: TrackedOrder): Product {
    const available = PRODUCTS.filter((p) => !order?.skus.includes(p.sku));
    return this.pickOne(available);
  }

  private lineOf(product: Product) {
    return { ...product, quantity: 1 + Math.floor(this.random() * 3) };
  }

  private updated(order: TrackedOrder) {
    return (body: unknown) => {
      const view = body as OrderView;
      order.status = view.status;
      order.skus = view.lines.map((line) => line.sku);
      order.totalAmount = view.totalAmount;
      order.version = view.version;
    };
  }

  private create(): Step {
    // Squaring skews the choice: a few customers order often, most now and then.
    const customer = this.customers[Math.floor(this.customers.length * this.random() ** 2)]!;
    const lines: ReturnType<Shop['lineOf']>[] = [];
    const count = 1 + Math.floor(this.random() * 3);
    while (lines.length < count) {
      const product = this.pickOne(PRODUCTS);
      if (!lines.some((line) => line.sku === product.sku)) lines.push(this.lineOf(product));
    }
    return {
      kind: 'create',
      method: 'POST',
      path: '/orders',
      headers: { 'idempotency-key': randomUUID() },
      body: {
        customer: { id: customer.id, name: customer.name, email: customer.email },
        lines,
        currency: customer.currency,
        salesChannel: this.pickOne(CHANNELS),
      },
      onAccepted: (body) => {
        const view = body as OrderView;
        this.orders.set(view.id, {
          id: view.id,
          status: view.status,
          skus: view.lines.map((line) => line.sku),
          currency: view.currency,
          totalAmount: view.totalAmount,
          version: view.version,
        });
      },
    };
  }

  private addLine(): Step | undefined {
    const order = this.pickOrder((o) => o.status === 'pending' && o.skus.length < 5);
    if (!order) return undefined;
    const { sku, name, quantity, unitPrice } = this.lineOf(this.newProduct(order));
    const body = { sku, name, quantity, unitPrice };
    const path = `/orders/${order.id}/lines`;
    return { kind: 'addLine', order, method: 'POST', path, body, onAccepted: this.updated(order) };
  }

  private removeLine(): Step | undefined {
    const order = this.pickOrder((o) => o.status === 'pending' && o.skus.length > 1);
    if (!order) return undefined;
    const path = `/orders/${order.id}/lines/${encodeURIComponent(this.pickOne(order.skus))}`;
    return { kind: 'removeLine', order, method: 'DELETE', path, onAccepted: this.updated(order) };
  }

  private confirm(): Step | undefined {
    const order = this.pickOrder((o) => o.status === 'pending');
    if (!order) return undefined;
    const path = `/orders/${order.id}/confirm`;
    return { kind: 'confirm', order, method: 'POST', path, onAccepted: this.updated(order) };
  }

  private cancel(): Step | undefined {
    // A confirmed order the saga already marked ready to ship is refused (422), as in real life.
    const order = this.pickOrder((o) => o.status === 'pending' || o.status === 'confirmed');
    if (!order) return undefined;
    const body = { reason: this.pickOne(CANCEL_REASONS) };
    const path = `/orders/${order.id}/cancel`;
    return { kind: 'cancel', order, method: 'POST', path, body, onAccepted: this.updated(order) };
  }

  /** A change that arrives after the order was closed: the domain refuses it (422). */
  private lateChange(): Step | undefined {
    const order = this.pickOrder((o) => o.status !== 'pending');
    if (!order) return undefined;
    const { sku, name, quantity, unitPrice } = this.lineOf(this.newProduct(order));
    const body = { sku, name, quantity, unitPrice };
    const path = `/orders/${order.id}/lines`;
    return { kind: 'lateChange', order, method: 'POST', path, body, onAccepted: this.updated(order) };
  }
}
