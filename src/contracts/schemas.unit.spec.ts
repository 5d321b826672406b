import fc from 'fast-check';
import {
  inventoryDecider,
  inventorySchemaVersions,
  toStockView,
  type InventoryCommand,
} from '../domain/inventory';
import { generateCurrentSchemas, loadSchemaDocuments, loadSchemaRegistry } from '../cli/schemas';
import { orderDecider } from '../domain/orders/decider';
import type { OrderCommand } from '../domain/orders/commands';
import { isOrder } from '../domain/orders/state';
import { toOrderView } from '../domain/orders/view';
import { paymentDecider } from '../domain/payments/decider';
import type { PaymentCommand } from '../domain/payments/commands';
import { isPayment } from '../domain/payments/state';
import { toPaymentView } from '../domain/payments/view';
import { TributaryError } from '../errors';
import {
  canonicalJson,
  EVENT_CONTRACTS,
  parseSchemaFile,
  schemaFile,
  schemaHash,
  schemaRefsOf,
  type SchemaRef,
} from './schemas';
import { createSchemaRegistry } from './schemas-registry';

const registry = loadSchemaRegistry();

describe('the schemas of schemas/', () => {
  it('a committed current-version schema equals the one generated from its TypeScript payload type (code and schema cannot drift)', async () => {
    const generated = await generateCurrentSchemas();
    const committed = loadSchemaDocuments();
    expect(generated.size).toBe(EVENT_CONTRACTS.length);
    for (const [file, document] of generated) {
      // On failure: run `tributary schemas write` — and if that version is published, add a new version.
      expect({ file, schema: canonicalJson(committed.get(file)) }).toEqual({
        file,
        schema: canonicalJson(document),
      });
    }
  }, 60_000);

  it('every version of every published event type has a schema, and nothing else does', () => {
    expect([...registry.files.keys()].sort()).toEqual(schemaRefsOf().map(schemaFile).sort());
    expect(registry.get('order/OrderCreated/v1.json')).toBeDefined();
  });

  it('names a schema by aggregate, event type and version, and parses only such names', () => {
    const ref = { aggregateType: 'order', eventType: 'OrderCreated', schemaVersion: 2 };
    expect(schemaFile(ref)).toBe('order/OrderCreated/v2.json');
    expect(parseSchemaFile('order/OrderCreated/v2.json')).toEqual(ref);
    for (const bad of [
      'order/OrderCreated/v0.json',
      '../x/Y/v1.json',
      'order/OrderCreated/2.json',
      'order/v1.json',
    ]) {
      expect(parseSchemaFile(bad)).toBeUndefined();
    }
  });

  it('hashes a schema by its content, not by the formatting or key order of its file', () => {
    expect(schemaHash({ type: 'object', title: 'a' })).toBe(schemaHash({ title: 'a', type: 'object' }));
    expect(schemaHash({ type: 'object' })).not.toBe(schemaHash({ type: 'string' }));
  });

  it('refuses a document that is not a JSON Schema 2020-12, naming its file', () => {
    expect(() => createSchemaRegistry(new Map([['order/X/v1.json', { type: 'objekt' }]]))).toThrow(
      /schemas\/order\/X\/v1\.json: not a valid JSON Schema 2020-12/,
    );
  });

  it('says in one line why data does not match, and when no schema exists', () => {
    const ref = { aggregateType: 'payment', eventType: 'PaymentRecorded', schemaVersion: 1 };
    expect(registry.validate(ref, { change: {}, state: {} })).toMatch(
      /^PaymentRecorded v1 does not match schema payment\/PaymentRecorded\/v1\.json: \/change must have required property/,
    );
    expect(registry.validate({ ...ref, schemaVersion: 9 }, {})).toBe(
      'no schema payment/PaymentRecorded/v9.json for PaymentRecorded v9',
    );
  });
});

// ── Property: every event the deciders produce, as the relay publishes it, matches its schema ──────────────

const at = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const sku = fc.constantFrom('SKU-1', 'SKU-2', 'SKU-3', 'SKU-4');
// Mostly valid values, with some that decide must refuse (which then publish nothing).
const text = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom('Ada', 'Grace Hopper', 'x', 'Ünïcödé ✓') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const email = fc.oneof({ weight: 9, arbitrary: fc.emailAddress() }, { weight: 1, arbitrary: text });
const amount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);
const quantity = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 50 }) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 0 }) },
);
const line = fc.record({ sku, name: text, quantity, unitPrice: amount });
const currency = fc.oneof(
  { weight: 8, arbitrary: fc.constant('EUR') },
  { weight: 1, arbitrary: fc.constantFrom('USD', 'eur', 'XX') },
);

const createOrder = fc.record({
  type: fc.constant('CreateOrder' as const),
  orderId: fc.constant('o-1'),
  customer: fc.record({ id: text, name: text, email }),
  lines: fc.uniqueArray(line, { selector: (l) => l.sku, minLength: 1, maxLength: 4 }),
  currency,
  salesChannel: fc.constantFrom('web', 'store', 'phone', 'marketplace'),
  at,
});

// Creation weighs more: nothing else is accepted before an order exists.
const orderCommand: fc.Arbitrary<OrderCommand> = fc.oneof(
  { weight: 4, arbitrary: createOrder },
  fc.record({ type: fc.constant('AddOrderLine' as const), orderId: fc.constant('o-1'), line, at }),
  fc.record({ type: fc.constant('RemoveOrderLine' as const), orderId: fc.constant('o-1'), sku, at }),
  fc.record({ type: fc.constant('ConfirmOrder' as const), orderId: fc.constant('o-1'), at }),
  fc.record({ type: fc.constant('CancelOrder' as const), orderId: fc.constant('o-1'), reason: text, at }),
  fc.record({ type: fc.constant('MarkReadyToShip' as const), orderId: fc.constant('o-1'), at }),
);

const paymentCommand: fc.Arbitrary<PaymentCommand> = fc.oneof(
  fc.record({
    type: fc.constant('RecordPayment' as const),
    paymentId: fc.constant('p-1'),
    orderId: fc.constant('o-1'),
    amount,
    currency,
    method: fc.constantFrom('card', 'bank_transfer', 'wallet', 'cash'),
    at,
  }),
  fc.record({
    type: fc.constant('RefundPayment' as const),
    paymentId: fc.constant('p-1'),
    amount,
    currency,
    reason: text,
    at,
  }),
);

const orderId = fc.constantFrom('o-1', 'o-2', 'o-3');
// One SKU per stream, as the command handler keeps it; receipts weigh more so that reservations succeed.
const inventoryCommand: fc.Arbitrary<InventoryCommand> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RestockInventory' as const),
      sku: fc.constant('SKU-1'),
      quantity,
      at,
    }),
  },
  fc.record({
    type: fc.constant('AdjustStock' as const),
    sku: fc.constant('SKU-1'),
    delta: fc.integer({ min: -20, max: 20 }),
    reason: text,
    at,
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ReserveStock' as const),
      sku: fc.constant('SKU-1'),
      orderId,
      quantity,
      at,
    }),
  },
  fc.record({ type: fc.constant('ReleaseStock' as const), sku: fc.constant('SKU-1'), orderId, at }),
  fc.record({ type: fc.constant('CommitReservation' as const), sku: fc.constant('SKU-1'), orderId, at }),
);

/** Runs commands through a decider as the command handler does; returns each published payload. */
function published<C, E extends { type: string; schemaVersion: number; data: unknown }, S>(
  aggregateType: string,
  decider: { decide(c: C, s: S): E[]; evolve(s: S, e: E): S; initialState(): S },
  view: (state: S) => unknown,
  commands: C[],
): { ref: SchemaRef; data: unknown }[] {
  const out: { ref: SchemaRef; data: unknown }[] = [];
  let state = decider.initialState();
  for (const command of commands) {
    let events: E[];
    try {
      events = decider.decide(command, state);
    } catch (error) {
      if (error instanceof TributaryError && error.code.startsWith('domain.')) continue; // refused: nothing published
      throw error;
    }
    for (const event of events) {
      state = decider.evolve(state, event);
      const ref = { aggregateType, eventType: event.type, schemaVersion: event.schemaVersion };
      out.push({ ref, data: JSON.parse(JSON.stringify({ change: event.data, state: view(state) })) });
    }
  }
  return out;
}

describe('events produced by random command sequences', () => {
  it('every order event the decider produces matches the schema of its type and version', () => {
    let seen = 0;
    fc.assert(
      fc.property(fc.array(orderCommand, { maxLength: 25 }), (commands) => {
        const view = (s: Parameters<typeof isOrder>[0]) => (isOrder(s) ? toOrderView(s) : undefined);
        for (const { ref, data } of published('order', orderDecider, view, commands)) {
          seen++;
          expect(registry.validate(ref, data)).toBeUndefined();
        }
      }),
      { numRuns: 1_000 },
    );
    expect(seen).toBeGreaterThan(400);
  });

  it('every payment event the decider produces matches the schema of its type and version', () => {
    let seen = 0;
    fc.assert(
      fc.property(fc.array(paymentCommand, { maxLength: 15 }), (commands) => {
        const view = (s: Parameters<typeof isPayment>[0]) => (isPayment(s) ? toPaymentView(s) : undefined);
        for (const { ref, data } of published('payment', paymentDecider, view, commands)) {
          seen++;
          expect(registry.validate(ref, data)).toBeUndefined();
        }
      }),
      { numRuns: 400 },
    );
    expect(seen).toBeGreaterThan(100);
  });

  it('every inventory event the decider produces matches the schema of its type and version', () => {
    const types = new Set<string>();
    fc.assert(
      fc.property(fc.array(inventoryCommand, { maxLength: 20 }), (commands) => {
        for (const { ref, data } of published('inventory', inventoryDecider, toStockView, commands)) {
          types.add(ref.eventType);
          expect(registry.validate(ref, data)).toBeUndefined();
        }
      }),
      { numRuns: 400 },
    );
    expect([...types].sort()).toEqual(Object.keys(inventorySchemaVersions).sort());
  });
});
