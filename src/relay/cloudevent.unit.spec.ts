import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import type { Message } from 'kafkajs';
import { TributaryError } from '../errors';
import type { OutboxEntry } from '../outbox/types';
import type { RelayEntry } from './transaction-buffer';
import {
  kafkaEncoder,
  toCloudEvent,
  toKafkaMessage,
  type CloudEventOptions,
  type KafkaContentMode,
} from './cloudevent';

const OPTIONS: CloudEventOptions = {
  source: '/tributary',
  typePrefix: 'io.tributary',
  dataschemaBase: 'https://schemas.tributary.io/events/',
};

function entry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: '6f1c1a52-7a0e-4c43-9d0e-2b1f4c6c9a11',
    aggregateType: 'order',
    aggregateId: 'order-42',
    streamVersion: 7,
    eventType: 'OrderCreated',
    schemaVersion: 2,
    payload: { change: { lines: [{ sku: 'A-1', quantity: 2 }] }, state: { status: 'open', total: '19.90' } },
    headers: {
      occurredAt: '2026-11-23T10:15:30.123Z',
      correlationId: 'corr-1',
      causationId: 'cmd-9',
      actor: 'user:alice',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    },
    ...overrides,
  };
}

/** What a kafkajs consumer hands over: header values and the value as Buffers; the SDK wants string headers. */
function received(message: Message): KafkaMessage<unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Buffer.from(String(value)).toString('utf8');
  }
  const value = Buffer.from(String(message.value));
  return { headers, key: String(message.key), value, body: value, timestamp: '1795428000000' };
}

/** Attributes as a plain object, without data and the SDK's always-undefined fields. */
function attributes(event: CloudEvent<unknown>): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  delete plain.data;
  return plain;
}

describe('CloudEvent encoding', () => {
  it('maps an outbox entry to the attributes of the design', () => {
    const event = toCloudEvent(entry(), OPTIONS);
    expect(attributes(event)).toEqual({
      specversion: '1.0',
      id: '6f1c1a52-7a0e-4c43-9d0e-2b1f4c6c9a11',
      source: '/tributary/order',
      type: 'io.tributary.order.created.v2',
      subject: 'order-42',
      time: '2026-11-23T10:15:30.123Z',
      datacontenttype: 'application/json',
      dataschema: 'https://schemas.tributary.io/events/order/OrderCreated/v2.json',
      partitionkey: 'order-42',
      sequence: '00000000000000000007',
      correlationid: 'corr-1',
      causationid: 'cmd-9',
      actor: 'user:alice',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(event.data).toEqual(entry().payload);
    expect(event.validate()).toBe(true);
  });

  it('keeps the event id as the CloudEvent id, so redeliveries deduplicate', () => {
    expect(toCloudEvent(entry(), OPTIONS).id).toBe(toCloudEvent(entry(), OPTIONS).id);
  });

  it('leaves out dataschema without a base, and extensions whose headers are absent', () => {
    const event = toCloudEvent(entry({ headers: { occurredAt: '2026-11-23T10:15:30.123Z' } }), {
      source: '/tributary',
      typePrefix: 'io.tributary',
    });
    const plain = attributes(event);
    for (const name of ['dataschema', 'correlationid', 'causationid', 'actor', 'traceparent']) {
      expect(plain).not.toHaveProperty(name);
    }
  });

  it('refuses an entry without a valid occurredAt rather than stamping a time that changes on redelivery', () => {
    for (const headers of [{}, { occurredAt: 'yesterday' }] as Record<string, string>[]) {
      expect(() => toCloudEvent(entry({ headers }), OPTIONS)).toThrow(/occurredAt/);
    }
  });

  it('gives each aggregate type its own source under CLOUDEVENT_SOURCE', () => {
    expect(toCloudEvent(entry({ aggregateType: 'payment' }), OPTIONS).source).toBe('/tributary/payment');
    expect(toCloudEvent(entry(), { ...OPTIONS, source: '/shop/' }).source).toBe('/shop/order');
  });

  it('reports what the SDK rejects as input.invalid', () => {
    let caught: unknown;
    try {
      toCloudEvent(entry(), { ...OPTIONS, dataschemaBase: 'not a uri' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TributaryError);
    expect((caught as TributaryError).code).toBe('input.invalid');
  });

  describe('Kafka messages', () => {
    it('keys the message by aggregate id, so one aggregate stays in one partition', () => {
      for (const mode of ['binary', 'structured'] as const) {
        expect(toKafkaMessage(toCloudEvent(entry(), OPTIONS), mode).key).toBe('order-42');
      }
    });

    it('binary mode: attributes in ce_ headers, all strings, none undefined; the value is the JSON data', () => {
      const message = toKafkaMessage(toCloudEvent(entry(), OPTIONS), 'binary');
      expect(JSON.parse(message.value)).toEqual(entry().payload);
      expect(message.headers).toMatchObject({
        'content-type': 'application/json',
        ce_id: entry().id,
        ce_type: 'io.tributary.order.created.v2',
        ce_specversion: '1.0',
        ce_sequence: '00000000000000000007',
      });
      for (const value of Object.values(message.headers)) expect(typeof value).toBe('string');
      expect(Object.keys(message.headers)).not.toContain('ce_schemaurl');
      // The binding maps datacontenttype to content-type alone.
      expect(Object.keys(message.headers)).not.toContain('ce_datacontenttype');
      expect(message).not.toHaveProperty('timestamp');
    });

    it('structured mode: the whole event as JSON with the CloudEvents content type', () => {
      const message = toKafkaMessage(toCloudEvent(entry(), OPTIONS), 'structured');
      expect(message.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      expect(JSON.parse(message.value)).toMatchObject({ id: entry().id, data: entry().payload });
    });

    it('binary is the default mode', () => {
      const event = toCloudEvent(entry(), OPTIONS);
      expect(toKafkaMessage(event)).toEqual(toKafkaMessage(event, 'binary'));
    });

    it.each<KafkaContentMode>(['binary', 'structured'])(
      '%s mode round-trips: the decoded event is valid and has equal attributes and data',
      (mode) => {
        const events = [
          toCloudEvent(entry(), OPTIONS),
          toCloudEvent(entry({ payload: 'just a string', headers: { occurredAt: '2026-01-01T00:00:00Z' } }), {
            source: '/tributary',
            typePrefix: 'io.tributary',
          }),
          toCloudEvent(entry({ payload: null, streamVersion: 123456789 }), OPTIONS),
        ];
        for (const event of events) {
          const decoded = Kafka.toEvent(received(toKafkaMessage(event, mode))) as CloudEvent<unknown>;
          expect(decoded.validate()).toBe(true);
          expect(attributes(decoded)).toEqual(attributes(event));
          expect(decoded.data).toEqual(event.data);
        }
      },
    );
  });

  describe("the relay's encoder", () => {
    const relayEntry = (e: OutboxEntry, payloadJson = JSON.stringify(e.payload)): RelayEntry => {
      const { payload: _payload, ...rest } = e;
      return { ...rest, payloadJson };
    };
    /** Entries of many shapes: types, versions, optional headers present or not, with and without dataschema. */
    function* variety(): Generator<OutboxEntry> {
      const extensions = ['correlationId', 'causationId', 'actor', 'traceparent'] as const;
      let n = 0;
      for (const [aggregateType, eventType] of [
        ['order', 'OrderCreated'],
        ['order', 'OrderLineAdded'],
        ['payment', 'PaymentRefunded'],
        ['inventory_item', 'StockReserved'],
      ]) {
        for (let mask = 0; mask < 16; mask++) {
          const headers: Record<string, string> = {
            occurredAt: `2026-0${(n % 9) + 1}-1${n % 10}T10:15:30+02:00`,
          };
          extensions.forEach((name, bit) => {
            if (mask & (1 << bit)) headers[name] = `${name}-${n}`;
          });
          n++;
          yield entry({
            id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
            aggregateType: aggregateType!,
            aggregateId: `${aggregateType}-${n} ünïcode`,
            eventType: eventType!,
            schemaVersion: (n % 3) + 1,
            streamVersion: n * 997,
            payload: { n, nested: { list: [1, 'two', null], emoji: '🚀' } },
            headers,
          });
        }
      }
    }

    it.each([OPTIONS, { source: '/tributary', typePrefix: 'io.tributary' }])(
      'writes binary records with exactly the key and headers of the SDK, and equal data',
      (options) => {
        const encode = kafkaEncoder(options);
        for (const e of variety()) {
          const sdk = toKafkaMessage(toCloudEvent(e, options));
          const record = encode(relayEntry(e));
          expect(record.key).toBe(sdk.key);
          expect(Object.entries(record.headers)).toEqual(Object.entries(sdk.headers)); // same order too
          expect(JSON.parse(record.value)).toEqual(JSON.parse(sdk.value));
          const decoded = Kafka.toEvent(received(record)) as CloudEvent<unknown>;
          expect(decoded.validate()).toBe(true);
          expect(attributes(decoded)).toEqual(attributes(toCloudEvent(e, options)));
        }
      },
    );

    it('publishes the stored JSON text as the value, untouched', () => {
      const stored = '{"change": {"total": 10.50}, "state": {"status": "open"}}';
      expect(kafkaEncoder(OPTIONS)(relayEntry(entry(), stored)).value).toBe(stored);
    });

    it('refuses an entry without a valid occurredAt, as the SDK path does', () => {
      const encode = kafkaEncoder(OPTIONS);
      expect(() => encode(relayEntry(entry({ headers: { occurredAt: 'yesterday' } })))).toThrow(
        /has no valid occurredAt header/,
      );
    });

    it('encodes structured mode through the SDK', () => {
      const e = entry();
      expect(kafkaEncoder(OPTIONS, 'structured')(relayEntry(e))).toEqual(
        toKafkaMessage(toCloudEvent(e, OPTIONS), 'structured'),
      );
    });
  });
});
