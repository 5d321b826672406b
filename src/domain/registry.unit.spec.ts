import { currentSchemaVersions, upcasters } from './registry';
import { upcast } from './upcasting';

describe('domain registries', () => {
  it('every event type of every aggregate has a current schema version', () => {
    expect(currentSchemaVersions).toEqual({
      OrderCreated: 2,
      OrderLineAdded: 1,
      OrderLineRemoved: 1,
      OrderReadyToShip: 1,
      OrderConfirmed: 1,
      OrderCancelled: 1,
      PaymentRecorded: 1,
      PaymentRefunded: 1,
      StockReceived: 1,
      StockReserved: 1,
      StockReleased: 1,
      StockAdjusted: 1,
      ReservationCommitted: 1,
    });
  });

  it('every version below the current one has an upcaster, so any stored event can be read', () => {
    for (const [type, current] of Object.entries(currentSchemaVersions)) {
      for (let version = 1; version < current; version += 1) {
        expect(() => upcast(type, version, {}, upcasters, currentSchemaVersions)).not.toThrow();
      }
    }
  });
});
