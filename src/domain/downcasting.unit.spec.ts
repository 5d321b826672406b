import { TributaryError } from '../errors';
import { between, pick, seededRandom } from '../../test/fixtures/random';
import { downcast } from './downcasting';
import { SALES_CHANNELS } from './orders/events';
import { orderCreatedV2ToV1, orderDowncasters } from './orders/downcasters';
import { orderCreatedV1ToV2 } from './orders/upcasters';
import { currentSchemaVersions, upcasters } from './registry';
import { upcast } from './upcasting';

/** OrderCreated v2 data as `decide` writes it, from a seeded generator. */
function randomOrderCreatedV2(random: () => number) {
  const lines = Array.from({ length: between(random, 1, 4) }, (_, i) => ({
    sku: `SKU-${i}-${between(random, 0, 999)}`,
    name: pick(random, ['Earl Grey', 'Sencha', 'Oolong', 'Rooibos']),
    quantity: between(random, 1, 9),
    unitPrice: between(random, 1, 99_999),
  }));
  return {
    orderId: `order-${between(random, 0, 1e9)}`,
    customer: { id: `c-${between(random, 0, 999)}`, name: 'Ada Lovelace', email: 'ada@example.com' },
    lines,
    currency: pick(random, ['EUR', 'USD', 'JPY']),
    salesChannel: pick(random, SALES_CHANNELS),
    createdAt: new Date(between(random, 0, 2e12)).toISOString(),
  };
}

describe('OrderCreated downcasting (v2 → v1)', () => {
  it('drops the sales channel and nothing else', () => {
    const v2 = randomOrderCreatedV2(seededRandom(1));
    const { salesChannel: _channel, ...v1 } = v2;
    expect(orderCreatedV2ToV1(v2)).toEqual(v1);
    expect(v2.salesChannel).toBeDefined(); // the input is not changed
  });

  it('downcast then upcast gives back every web order exactly, and any order but its channel', () => {
    const random = seededRandom(21);
    for (let i = 0; i < 300; i++) {
      const v2 = randomOrderCreatedV2(random);
      const back = upcast('OrderCreated', 1, orderCreatedV2ToV1(v2), upcasters, currentSchemaVersions);
      expect(back.schemaVersion).toBe(2);
      expect(back.data).toEqual({ ...v2, salesChannel: 'web' });
      if (v2.salesChannel === 'web') expect(back.data).toEqual(v2);
    }
  });

  it('upcast then downcast gives back any v1 data exactly', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const { salesChannel: _channel, ...v1 } = randomOrderCreatedV2(random);
      expect(orderCreatedV2ToV1(orderCreatedV1ToV2(v1))).toEqual(v1);
    }
  });

  it('refuses data that is not an object', () => {
    for (const bad of [null, 'order', 3, ['a']]) {
      expect(() => orderCreatedV2ToV1(bad)).toThrow(/OrderCreated v2 data must be an object/);
    }
  });
});

describe('downcast', () => {
  const v2 = randomOrderCreatedV2(seededRandom(3));

  it('applies the chain down to the wanted version, and nothing for the same version', () => {
    expect(downcast('OrderCreated', 2, 1, v2, orderDowncasters)).toEqual(orderCreatedV2ToV1(v2));
    expect(downcast('OrderCreated', 2, 2, v2, orderDowncasters)).toBe(v2);
  });

  it('says which step is missing when a version is past its window', () => {
    const error = catchError(() => downcast('OrderCreated', 3, 1, v2, orderDowncasters));
    expect(error).toBeInstanceOf(TributaryError);
    expect(error.message).toBe(
      'OrderCreated has no downcaster from version 3 to 2: version 2 is no longer supported',
    );
    expect((error as TributaryError).code).toBe('input.invalid');
  });

  it('refuses to go up, and invalid versions', () => {
    expect(() => downcast('OrderCreated', 1, 2, v2, orderDowncasters)).toThrow(/upcast instead/);
    expect(() => downcast('OrderCreated', 0, 1, v2, orderDowncasters)).toThrow(/invalid schema version 0/);
    expect(() => downcast('OrderCreated', 2, 1.5, v2, orderDowncasters)).toThrow(/invalid schema version/);
  });

  it('does not resolve an event type from Object.prototype', () => {
    expect(() => downcast('constructor', 2, 1, {}, orderDowncasters)).toThrow(/no downcaster/);
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
