import { orderSchemaVersions } from '../domain/orders/events';
import { cloudEventType } from './cloudevent';
import { ORDER_AGGREGATE_TYPE, orderContracts, type PayloadUpcasters } from './order-topic';

describe('the contracts of the order topic', () => {
  const contracts = orderContracts('io.tributary');

  it('knows every order event type at every version up to its current one, named as the relay names them', () => {
    for (const [eventType, current] of Object.entries(orderSchemaVersions)) {
      for (let version = 1; version <= current; version++) {
        const type = cloudEventType(
          { aggregateType: ORDER_AGGREGATE_TYPE, eventType, schemaVersion: version },
          'io.tributary',
        );
        expect(contracts.lookup(type)).toEqual({
          eventType,
          schemaVersion: version,
          currentVersion: current,
        });
      }
    }
  });

  it('never guesses at a version newer than it knows, nor at another prefix', () => {
    expect(contracts.lookup('io.tributary.order.created.v99')).toBeUndefined();
    expect(contracts.lookup('com.example.order.created.v1')).toBeUndefined();
  });

  it('brings an OrderCreated v1 payload to the current version, its carried state included', () => {
    const known = contracts.lookup('io.tributary.order.created.v1')!;
    const upcast = contracts.upcast(known, { change: { orderId: 'o-1' }, state: { id: 'o-1', version: 1 } });
    expect(upcast.state).toEqual({ id: 'o-1', version: 1, salesChannel: 'web' });
    expect(upcast.change).toEqual(expect.objectContaining({ salesChannel: 'web' }));
  });

  it('refuses to upcast when a step of the chain is missing', () => {
    const gap: PayloadUpcasters = {};
    const withGap = orderContracts('io.tributary', { OrderCreated: 2 }, gap);
    const known = withGap.lookup('io.tributary.order.created.v1')!;
    expect(() => withGap.upcast(known, { change: {}, state: {} })).toThrow(
      /no upcaster for OrderCreated from schema version 1 to 2/,
    );
  });
});
