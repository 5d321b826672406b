import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { kafkaClient } from '../src/clients';
import { createEventStoreFor, createOrderService } from '../src/commands';
import { evolveOrder, initialOrderState, isOrder } from '../src/domain/orders/state';
import { orderCreatedV1ToV2 } from '../src/domain/orders/upcasters';
import { toOrderView } from '../src/domain/orders/view';
import type { OrderEvent } from '../src/domain/orders';
import type { OutboxEntries } from '../src/eventstore';
import { toOutboxEntry } from '../src/outbox/mapping';
import { decodeCloudEvent, toVersion, type TributaryCloudEvent } from '../src/public/consumer';
import { customer, line } from './fixtures/orders';
import { openIntegratorView, startRelayIn, type IntegratorView } from './fixtures/integrator';
import { dropSlotWhenInactive, eventually, relaySlotName, type InProcessRelay } from './fixtures/relay';
import { openStoreFixture, type StoreFixture } from './fixtures/store';

/**
 * Consumers on older versions, end to end: the relay publishes, a kafkajs consumer reads the order topic as the
 * verify user and decodes each record with `tributary/consumer`. A consumer written against OrderCreated v1
 * reads today's v2 event downcast to v1, and a v1 event that an older deployment published as it was; one
 * written against v2 reads that old event upcast exactly as the event store reads it.
 */
interface Payload {
  change: Record<string, unknown>;
  state: Record<string, unknown>;
}

let fx: StoreFixture;
let view: IntegratorView;
let relay: InProcessRelay;
let consumer: Consumer | undefined;
const group = () => `tributary-verify-consumer-versions-${fx.env.name}`;

beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  view = await openIntegratorView(fx);
  relay = await startRelayIn(fx, 'binary');
});

afterAll(async () => {
  await consumer?.disconnect();
  await relay?.stop();
  await view?.close([group()]);
  await dropSlotWhenInactive(fx.pool, relaySlotName(fx.env.name, 'integrator')).catch(() => undefined);
  await fx?.close();
});

/** OrderCreated v1 data and the `{ change, state }` an older deployment (before v2) published for it. */
function legacyOrderCreated(orderId: string, at: string) {
  const v1 = { orderId, customer, lines: [line('sku-a', 3, 120)], currency: 'EUR', createdAt: at };
  const event = { type: 'OrderCreated', schemaVersion: 2, data: orderCreatedV1ToV2(v1) } as OrderEvent;
  const order = evolveOrder(initialOrderState(), event);
  if (!isOrder(order)) throw new Error('OrderCreated must make an order');
  const { salesChannel: _none, ...state } = toOrderView(order);
  return { v1, payload: { change: v1, state } };
}

/** Reads the topic as the verify user, from the beginning, until `count` events arrived. */
async function readEvents(count: number): Promise<TributaryCloudEvent[]> {
  const events: TributaryCloudEvent[] = [];
  consumer = kafkaClient(view.verify, { clientId: 'consumer-versions' }).consumer({ groupId: group() });
  await consumer.connect();
  await consumer.subscribe({ topics: [view.topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(decodeCloudEvent(message)) });
  await eventually(`${count} events on ${view.topic}`, () => events.length >= count, 60_000);
  return events;
}

it('a consumer that knows only OrderCreated v1 reads new v2 events downcast, and old v1 events as they were', async () => {
  const service = createOrderService(fx.config, createEventStoreFor(fx.config, fx.pool));
  const [current, old] = [randomUUID(), randomUUID()];
  const at = new Date().toISOString();
  await service.executeOrder({
    type: 'CreateOrder',
    orderId: current,
    customer,
    lines: [line('sku-b', 1, 990)],
    currency: 'EUR',
    salesChannel: 'phone',
    at,
  });
  // An OrderCreated stored and published at v1, as a deployment from before v2 did.
  const legacy = legacyOrderCreated(old, at);
  const v1Outbox: OutboxEntries = (events) =>
    events.map((event) =>
      toOutboxEntry(event, old, { type: 'OrderCreated', schemaVersion: 1, payload: legacy.payload }),
    );
  await fx.store.append(
    {
      streamId: `order-${old}`,
      streamType: 'order',
      expected: 'no_stream',
      events: [{ type: 'OrderCreated', schemaVersion: 1, data: legacy.v1, occurredAt: at }],
    },
    { outbox: v1Outbox },
  );

  const events = await readEvents(2);
  expect(events).toHaveLength(2);
  const published = events.find((event) => event.subject === current)!;
  const historic = events.find((event) => event.subject === old)!;
  expect([published.type, historic.type]).toEqual([
    'io.tributary.order.created.v2',
    'io.tributary.order.created.v1',
  ]);

  // The v1 consumer: the v2 event without the sales channel, everything else as published.
  const asV1 = toVersion<Payload>(published, 1);
  const { salesChannel, ...changeV1 } = (published.data as Payload).change;
  const { salesChannel: stateChannel, ...stateV1 } = (published.data as Payload).state;
  expect([salesChannel, stateChannel]).toEqual(['phone', 'phone']);
  expect(published.dataschema).toMatch(/\/order\/OrderCreated\/v2\.json$/);
  expect(asV1).toEqual({
    ...published,
    type: 'io.tributary.order.created.v1',
    schemaVersion: 1,
    dataschema: published.dataschema!.replace(/v2\.json$/, 'v1.json'),
    data: { change: changeV1, state: stateV1 },
  });
  expect(toVersion(historic, 1)).toBe(historic);
  expect(historic.data).toEqual(legacy.payload);

  // The v2 consumer: the old event upcast, as the event store reads it.
  const asV2 = toVersion<Payload>(historic, 2);
  const [stored] = await fx.store.readStream(`order-${old}`);
  expect(stored!.schemaVersion).toBe(2);
  expect(asV2.data.change).toEqual(stored!.data);
  expect(asV2.data.state).toEqual({ ...legacy.payload.state, salesChannel: 'web' });

  // No path: a version this library does not know.
  expect(() => toVersion(published, 3)).toThrow(
    'OrderCreated v3 is not a version this library knows (v1 to v2): a newer release of tributary may know it',
  );
});
