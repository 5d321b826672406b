import { TributaryError } from '../errors';
import { cloudEventType, dataschemaUri, METADATA_EXTENSIONS, sequenceOf } from './cloudevent';

describe('CloudEvent names in the wire contract', () => {
  describe('type names', () => {
    it.each([
      ['order', 'OrderCreated', 2, 'io.tributary.order.created.v2'],
      ['order', 'OrderLineAdded', 1, 'io.tributary.order.line.added.v1'],
      ['payment', 'PaymentRefunded', 1, 'io.tributary.payment.refunded.v1'],
      ['order', 'ItemAdded', 3, 'io.tributary.order.item.added.v3'],
      ['order_line', 'OrderLineAdded', 1, 'io.tributary.order_line.added.v1'],
      ['OrderLine', 'order-line-removed', 1, 'io.tributary.order_line.removed.v1'],
      ['order', 'OrderPDFGenerated', 1, 'io.tributary.order.pdf.generated.v1'],
      ['payment', 'Payment', 1, 'io.tributary.payment.payment.v1'],
      ['order', 'Ordered', 1, 'io.tributary.order.ordered.v1'],
    ])('%s/%s v%d is %s', (aggregateType, eventType, schemaVersion, expected) => {
      expect(cloudEventType({ aggregateType, eventType, schemaVersion }, 'io.tributary')).toBe(expected);
    });

    it('refuses a type prefix that is not lowercase dotted words, and names without words', () => {
      const e = { aggregateType: 'order', eventType: 'OrderCreated', schemaVersion: 1 };
      expect(() => cloudEventType(e, 'IO.Tributary')).toThrow(TributaryError);
      expect(() => cloudEventType(e, 'io..tributary')).toThrow(/type prefix/);
      expect(() => cloudEventType({ ...e, eventType: '!!' }, 'io.tributary')).toThrow(/no words/);
    });
  });

  describe('the sequence extension', () => {
    it('pads stream versions so lexical order is numeric order', () => {
      const versions = [1, 2, 9, 10, 11, 99, 100, 1_000_000, Number.MAX_SAFE_INTEGER];
      const sequences = versions.map(sequenceOf);
      expect([...sequences].reverse().sort()).toEqual(sequences);
      expect(sequences.every((s) => s.length === 20)).toBe(true);
      expect(sequenceOf(0)).toBe('00000000000000000000');
    });

    it('refuses versions that are not non-negative integers', () => {
      expect(() => sequenceOf(-1)).toThrow(TributaryError);
      expect(() => sequenceOf(1.5)).toThrow(TributaryError);
    });
  });

  describe('dataschema', () => {
    it('names the schema of a type and version under the base, with or without its trailing slash', () => {
      const event = { aggregateType: 'order', eventType: 'OrderCreated', schemaVersion: 2 };
      expect(dataschemaUri(event, 'https://schemas.tributary.io/events/')).toBe(
        'https://schemas.tributary.io/events/order/OrderCreated/v2.json',
      );
      expect(dataschemaUri(event, 'https://schemas.tributary.io/events')).toBe(
        'https://schemas.tributary.io/events/order/OrderCreated/v2.json',
      );
    });

    it('escapes names that are not URI-safe', () => {
      const event = { aggregateType: 'order line', eventType: 'Added/Removed', schemaVersion: 1 };
      expect(dataschemaUri(event, 'https://s.example')).toBe(
        'https://s.example/order%20line/Added%2FRemoved/v1.json',
      );
    });
  });

  it('carries metadata in lowercase extensions, as the spec requires of extension names', () => {
    for (const [, extension] of METADATA_EXTENSIONS) expect(extension).toMatch(/^[a-z0-9]+$/);
    expect(METADATA_EXTENSIONS.map(([header]) => header)).toEqual([
      'correlationId',
      'causationId',
      'actor',
      'traceparent',
    ]);
  });
});
