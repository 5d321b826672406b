import { toCloudEvent, toKafkaMessage, type KafkaContentMode } from '../relay/cloudevent';
import { convertPayload, PUBLISHED_TYPES, publishedTypeOf, splitCloudEventType } from '../contracts/versions';
import { orderPayloadUpcasters } from '../contracts';
import type { OutboxEntry } from '../outbox/types';
import { TributaryError } from '../errors';
import { pick, seededRandom } from '../../test/fixtures/random';
import { SALES_CHANNELS } from '../domain/orders/events';
import { decodeCloudEvent, toVersion, type KafkaRecordLike } from './index';

const OPTIONS = { source: '/tributary', typePrefix: 'io.tributary', dataschemaBase: 'http://h/schemas' };

function orderCreated(schemaVersion: number, salesChannel?: string): OutboxEntry {
  const change = {
    orderId: 'o-1',
    customer: { id: 'c-1', name: 'Ada', email: 'ada@example.com' },
    lines: [{ sku: 'TEA-1', name: 'Earl Grey', quantity: 2, unitPrice: 450 }],
    currency: 'EUR',
    createdAt: '2026-01-02T03:04:05.000Z',
    ...(salesChannel === undefined ? {} : { salesChannel }),
  };
  const state = { id: 'o-1', status: 'draft', version: 1, ...(salesChannel ? { salesChannel } : {}) };
  return {
    id: '0b6f6c1e-7d3a-4a3b-9a55-5b0e0c1f2a3b',
    aggregateType: 'order',
    aggregateId: 'o-1',
    streamVersion: 1,
    eventType: 'OrderCreated',
    schemaVersion,
    payload: { change, state },
    headers: { occurredAt: '2026-01-02T03:04:05.000Z', correlationId: 'corr-1', actor: 'user:ada' },
  };
}

/** The record as kafkajs hands it to a consumer: key, value and headers as Buffers. */
function asConsumed(entry: OutboxEntry, mode: KafkaContentMode): KafkaRecordLike {
  const message = toKafkaMessage(toCloudEvent(entry, OPTIONS), mode);
  return {
    key: Buffer.from(message.key),
    value: Buffer.from(message.value),
    headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe.each(['binary', 'structured'] as const)('decodeCloudEvent, %s mode', (mode) => {
  it('gives the typed CloudEvent the relay encoded: attributes, extensions, JSON data', () => {
    const entry = orderCreated(2, 'store');
    const event = decodeCloudEvent(asConsumed(entry, mode));
    expect(event).toEqual({
      specversion: '1.0',
      id: entry.id,
      source: '/tributary/order',
      type: 'io.tributary.order.created.v2',
      subject: 'o-1',
      time: '2026-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      dataschema: 'http://h/schemas/order/OrderCreated/v2.json',
      sequence: '00000000000000000001',
      partitionkey: 'o-1',
      typeName: 'io.tributary.order.created',
      schemaVersion: 2,
      extensions: { correlationid: 'corr-1', actor: 'user:ada' },
      data: entry.payload,
    });
  });
});

describe('decodeCloudEvent refuses what is not a Tributary CloudEvent, saying why', () => {
  const good = asConsumed(orderCreated(2, 'web'), 'binary');
  const without = (name: string): KafkaRecordLike => {
    const { [name]: _gone, ...headers } = good.headers!;
    return { ...good, headers };
  };
  it.each<[string, KafkaRecordLike, RegExp]>([
    ['a tombstone', { ...good, value: null }, /tombstone/],
    ['no CloudEvent at all', { key: 'k', value: '{}', headers: {} }, /neither ce_\* headers/],
    [
      'a batch',
      { key: 'k', value: '[]', headers: { 'content-type': 'application/cloudevents-batch+json' } },
      /batch/,
    ],
    ['no ce_source', without('ce_source'), /not a valid CloudEvent/],
    ['no subject', without('ce_subject'), /no subject/],
    ['no sequence', without('ce_sequence'), /no sequence extension/],
    ['data that is not JSON', { ...good, value: Buffer.from('{oops') }, /not JSON/],
    ['a key other than the subject', { ...good, key: 'o-2' }, /record key 'o-2' is not the subject 'o-1'/],
    [
      'a type without version',
      { ...good, headers: { ...good.headers, ce_type: 'io.tributary.order.created' } },
      /does not end in a schema version/,
    ],
  ])('%s', (_what, record, reason) => {
    expect(() => decodeCloudEvent(record)).toThrow(TributaryError);
    expect(() => decodeCloudEvent(record)).toThrow(reason);
  });
});

describe('toVersion', () => {
  it('gives a v1 consumer a v2 event as v1 published it: no sales channel, v1 type and schema', () => {
    const v2 = decodeCloudEvent(asConsumed(orderCreated(2, 'phone'), 'binary'));
    const v1 = decodeCloudEvent(asConsumed(orderCreated(1), 'binary'));
    const down = toVersion(v2, 1);
    expect(down).toEqual({ ...v1, data: down.data });
    expect(down.type).toBe('io.tributary.order.created.v1');
    expect(down.dataschema).toBe('http://h/schemas/order/OrderCreated/v1.json');
    expect(down.data).toEqual(v1.data);
    expect(v2.data).toEqual(orderCreated(2, 'phone').payload); // the input is not changed
  });

  it('gives a v2 consumer an old v1 event upcast: the web channel, as the event store reads it', () => {
    const v1 = decodeCloudEvent(asConsumed(orderCreated(1), 'structured'));
    const up = toVersion(v1, 2);
    expect(up.type).toBe('io.tributary.order.created.v2');
    expect(up.schemaVersion).toBe(2);
    expect(up.data).toEqual(orderCreated(2, 'web').payload);
  });

  it('round-trips: down then up is exact for web orders, up then down is exact for v1 events', () => {
    const random = seededRandom(5);
    for (let i = 0; i < 50; i++) {
      const channel = pick(random, SALES_CHANNELS);
      const v2 = decodeCloudEvent(asConsumed(orderCreated(2, channel), 'binary'));
      const back = toVersion(toVersion(v2, 1), 2);
      expect(back).toEqual(
        channel === 'web' ? v2 : toVersion(decodeCloudEvent(asConsumed(orderCreated(1), 'binary')), 2),
      );
    }
    const v1 = decodeCloudEvent(asConsumed(orderCreated(1), 'binary'));
    expect(toVersion(toVersion(v1, 2), 1)).toEqual(v1);
  });

  it('returns an event already at the wanted version as it is, whatever its type', () => {
    const event = decodeCloudEvent(asConsumed(orderCreated(2, 'web'), 'binary'));
    expect(toVersion(event, 2)).toBe(event);
    const other = { ...event, type: 'com.example.thing.v1', typeName: 'com.example.thing', schemaVersion: 1 };
    expect(toVersion(other, 1)).toBe(other);
  });

  it('says clearly when there is no path', () => {
    const event = decodeCloudEvent(asConsumed(orderCreated(2, 'web'), 'binary'));
    expect(() => toVersion(event, 3)).toThrow(
      'OrderCreated v3 is not a version this library knows (v1 to v2): a newer release of tributary may know it',
    );
    const other = { ...event, type: 'com.example.thing.v2', typeName: 'com.example.thing' };
    expect(() => toVersion(other, 1)).toThrow(
      'cannot bring com.example.thing.v2 to v1: not an event type this library knows',
    );
    const line = {
      ...event,
      type: 'io.tributary.order.line.added.v1',
      typeName: 'io.tributary.order.line.added',
      schemaVersion: 1,
    };
    expect(() => toVersion(line, 2)).toThrow(/OrderLineAdded v2 is not a version this library knows/);
    expect(() => toVersion({ ...event, data: 'text' }, 1)).toThrow(/has no JSON object as data/);
  });

  it('drops a dataschema it cannot rewrite rather than name the wrong version', () => {
    const event = decodeCloudEvent(asConsumed(orderCreated(2, 'web'), 'binary'));
    expect(toVersion({ ...event, dataschema: 'urn:schema:order-created' }, 1).dataschema).toBeUndefined();
  });
});

describe('the version chain of the topics', () => {
  it('knows every published type under any prefix, and splits types', () => {
    expect(publishedTypeOf('com.acme.order.line.added')?.eventType).toBe('OrderLineAdded');
    expect(publishedTypeOf('io.tributary.payment.refunded')?.eventType).toBe('PaymentRefunded');
    expect(publishedTypeOf('a.order.created')?.eventType).toBe('OrderCreated');
    expect(publishedTypeOf('.order.created')).toBeUndefined();
    expect(publishedTypeOf('io.tributary.invoice.created')).toBeUndefined();
    expect(splitCloudEventType('a.b.v12')).toEqual({ typeName: 'a.b', schemaVersion: 12 });
    expect(() => splitCloudEventType('a.b.v0')).toThrow(/does not end in a schema version/);
  });

  it('has a downcaster back for every upcaster: no version has left its deprecation window yet', () => {
    // When a window ends (docs/integrators.md) and its downcaster is removed, list that version here.
    const retired: string[] = [];
    for (const known of PUBLISHED_TYPES) {
      const down = Object.keys(known.downcasters).map(Number);
      const expected = Object.keys(known.upcasters)
        .map((from) => Number(from) + 1)
        .filter((to) => !retired.includes(`${known.eventType} v${to - 1}`));
      expect({ type: known.eventType, down }).toEqual({ type: known.eventType, down: expected });
    }
    expect(PUBLISHED_TYPES.find((known) => known.eventType === 'OrderCreated')?.currentVersion).toBe(2);
  });

  it('names the missing downcaster and the deprecation window when a step is gone', () => {
    const known = { ...publishedTypeOf('x.order.created')!, downcasters: {} };
    expect(() => convertPayload(known, 2, 1, { change: {}, state: {} })).toThrow(
      'OrderCreated has no downcaster from v2 to v1: v1 is past its deprecation window, read v2 (docs/integrators.md)',
    );
    const noUp = { ...known, upcasters: {} };
    expect(() => convertPayload(noUp, 1, 2, { change: {}, state: {} })).toThrow(
      'OrderCreated has no upcaster from v1 to v2',
    );
    expect(publishedTypeOf('x.order.created')!.upcasters).toBe(orderPayloadUpcasters.OrderCreated);
  });
});
