import { expectProblem, type ApiClient } from './api/client';
import { createInventoryService, handlerSettingsOf, type InventoryService } from '../src/commands';
import { evolveInventory, initialInventoryState, type InventoryEvent } from '../src/domain/inventory';
import { TributaryError } from '../src/errors';
import { openStoreFixture, type StoreFixture } from './fixtures/store';
import { expectForbidden, startSecuredApi, storeCounts, type SecuredApi } from './security/api';

/**
 * Stock per SKU on PostgreSQL: staff receive, adjust and read it over HTTP, other roles are refused and
 * store nothing; concurrent reservations of one SKU never take more than is on hand, checked by replaying
 * the stream event by event.
 */

let fx: StoreFixture;
let api: SecuredApi;
let support: ApiClient;
let inventory: InventoryService;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 12 });
  api = await startSecuredApi(fx);
  support = api.asRole('support');
  inventory = createInventoryService(handlerSettingsOf(fx.config, fx.store));
});

afterAll(async () => {
  await api?.close();
  await fx?.close();
});

describe('the inventory routes', () => {
  it('support receives stock and reads its level, with the version as ETag', async () => {
    const received = await support.post('/inventory/TEA-1/receipts', { quantity: 12 });
    expect(received.statusCode).toBe(200);
    expect(received.json()).toEqual({
      sku: 'TEA-1',
      onHand: 12,
      reserved: 0,
      available: 12,
      openReservations: 0,
      updatedAt: expect.any(String),
      version: 1,
    });
    const read = await support.get('/inventory/TEA-1');
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toBe(received.headers.etag);
    expect(read.json()).toMatchObject({ onHand: 12, available: 12 });
  });

  it('an adjustment corrects the units on hand, and If-Match guards it', async () => {
    await support.post('/inventory/CUP-1/receipts', { quantity: 5 });
    const stale = await support.post(
      '/inventory/CUP-1/adjustments',
      { delta: -1, reason: 'broken' },
      { 'if-match': '"7"' },
    );
    expectProblem(stale, 409);
    const adjusted = await support.post(
      '/inventory/CUP-1/adjustments',
      { delta: -2, reason: 'broken in transit' },
      { 'if-match': '"1"' },
    );
    expect(adjusted.statusCode).toBe(200);
    expect(adjusted.json()).toMatchObject({ onHand: 3, version: 2 });
  });

  it('an adjustment that would take reserved units away is refused with 422 and stores nothing', async () => {
    await support.post('/inventory/PAN-1/receipts', { quantity: 4 });
    await inventory.executeInventory(reserve('PAN-1', 'order-1', 3));
    const before = await storeCounts(fx);
    const refused = await support.post('/inventory/PAN-1/adjustments', { delta: -2, reason: 'count' });
    expect(expectProblem(refused, 422).detail).toMatch(/3 of them reserved/);
    expect(await storeCounts(fx)).toEqual(before);
  });

  it.each([
    [{ quantity: 0 }, 'body.quantity'],
    [{ quantity: 1.5 }, 'body.quantity'],
    [{ quantity: 1, extra: true }, 'body'],
  ])('a bad receipt %j is a 400 naming %s', async (body, path) => {
    const refused = await support.post('/inventory/TEA-1/receipts', body);
    expect(JSON.stringify(expectProblem(refused, 400))).toContain(path);
  });

  it('a zero adjustment is a 400', async () => {
    expectProblem(await support.post('/inventory/TEA-1/adjustments', { delta: 0, reason: 'x' }), 400);
  });

  it('a SKU nothing was recorded for is a 404', async () => {
    expectProblem(await support.get('/inventory/NEVER-SEEN'), 404, '/problems/store.not_found');
  });

  it.each(['customer', 'finance'] as const)('%s may not touch stock (403, nothing stored)', async (role) => {
    const client = api.asRole(role);
    const before = await storeCounts(fx);
    expectForbidden(await client.post('/inventory/TEA-1/receipts', { quantity: 1 }));
    expectForbidden(await client.post('/inventory/TEA-1/adjustments', { delta: 1, reason: 'x' }));
    expectForbidden(await client.get('/inventory/TEA-1'));
    expect(await storeCounts(fx)).toEqual(before);
  });

  it('no credential is a 401', async () => {
    expectProblem(await api.as().get('/inventory/TEA-1'), 401);
  });
});

describe('concurrent reservations of one SKU', () => {
  it('40 orders competing for 10 units: exactly 10 reserved, and the stock never below zero', async () => {
    await inventory.executeInventory({ type: 'RestockInventory', sku: 'HOT-1', quantity: 10, at: now() });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => reserveUntilDecided(reserve('HOT-1', `order-${i}`, 1))),
    );
    expect(outcomes.filter((outcome) => outcome === 'reserved')).toHaveLength(10);
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(30);
    const stock = await inventory.getStock('HOT-1');
    expect(stock).toMatchObject({ onHand: 10, reserved: 10, available: 0, openReservations: 10 });
    // Every state the stream went through, from the event store: available never below zero.
    const events = await fx.store.readStream('inventory-HOT-1');
    let state = initialInventoryState();
    for (const event of events) {
      state = evolveInventory(state, event as unknown as InventoryEvent);
      expect(state.onHand - state.reserved).toBeGreaterThanOrEqual(0);
    }
    expect(events).toHaveLength(11);
  });
});

const now = () => new Date().toISOString();

function reserve(sku: string, orderId: string, quantity: number) {
  return { type: 'ReserveStock' as const, sku, orderId, quantity, at: now() };
}

/** Retries a reservation that lost a race until the stock decides it: reserved, or refused for lack of stock. */
async function reserveUntilDecided(command: ReturnType<typeof reserve>): Promise<'reserved' | 'refused'> {
  for (;;) {
    try {
      await inventory.executeInventory(command);
      return 'reserved';
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'domain.rule') return 'refused';
      if (!(error instanceof TributaryError && error.code === 'store.conflict')) throw error;
    }
  }
}
