import { TributaryError } from '../../errors';
import { replay } from '../decider';
import { currentSchemaVersions, upcasters } from '../registry';
import { upcast } from '../upcasting';
import { orderDecider } from './decider';
import type { OrderEvent } from './events';
import { isOrder } from './state';

// Exactly what version 1 of the code wrote: no salesChannel.
const storedV1 = {
  type: 'OrderCreated',
  schemaVersion: 1,
  data: {
    orderId: 'order-1',
    customer: { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 }],
    currency: 'EUR',
    createdAt: '2023-01-01T09:00:00Z',
  },
};

function read(stored: { type: string; schemaVersion: number; data: unknown }): OrderEvent {
  const { schemaVersion, data } = upcast(
    stored.type,
    stored.schemaVersion,
    stored.data,
    upcasters,
    currentSchemaVersions,
  );
  return { type: stored.type, schemaVersion, data } as OrderEvent;
}

describe('OrderCreated upcasting', () => {
  it('a stored version 1 OrderCreated is read as version 2 with the web sales channel', () => {
    expect(read(storedV1)).toEqual({
      type: 'OrderCreated',
      schemaVersion: 2,
      data: { ...storedV1.data, salesChannel: 'web' },
    });
  });

  it('a stored version 1 OrderCreated still folds into a valid order', () => {
    const state = replay(orderDecider, [read(storedV1)]);
    expect(isOrder(state)).toBe(true);
    expect(state).toMatchObject({ status: 'pending', salesChannel: 'web', totalAmount: 900, version: 1 });
  });

  it('an order rebuilt from a version 1 history still accepts commands', () => {
    const state = replay(orderDecider, [read(storedV1)]);
    const events = orderDecider.decide(
      { type: 'ConfirmOrder', orderId: 'order-1', at: '2024-01-01T00:00:00Z' },
      state,
    );
    expect(events.map((event) => event.type)).toEqual(['OrderConfirmed']);
  });

  it('a version 2 OrderCreated is read unchanged', () => {
    const storedV2 = { ...storedV1, schemaVersion: 2, data: { ...storedV1.data, salesChannel: 'store' } };
    expect(read(storedV2)).toEqual(storedV2);
  });

  it('an OrderCreated of an unknown newer version is rejected', () => {
    expect(() => read({ ...storedV1, schemaVersion: 3 })).toThrow(
      expect.objectContaining({ code: 'input.invalid' }),
    );
  });

  it('version 1 data that is not an object is rejected', () => {
    expect(() => read({ ...storedV1, data: 'nonsense' })).toThrow(TributaryError);
  });

  it('decide writes OrderCreated at the version the registry calls current', () => {
    const [event] = orderDecider.decide(
      {
        type: 'CreateOrder',
        orderId: 'order-1',
        customer: storedV1.data.customer,
        lines: storedV1.data.lines,
        currency: 'EUR',
        at: '2024-01-01T00:00:00Z',
      },
      orderDecider.initialState(),
    );
    expect(event?.schemaVersion).toBe(currentSchemaVersions.OrderCreated);
    expect(currentSchemaVersions.OrderCreated).toBe(2);
  });
});
