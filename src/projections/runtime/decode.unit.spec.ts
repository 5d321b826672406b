import { orderContracts } from '../../contracts';
import { orderHistory, randomOrderHistory, toRelayMessage } from '../../../test/fixtures/projection-events';
import { createOrder } from '../../../test/fixtures/orders';
import { seededRandom } from '../../../test/fixtures/random';
import { decodeMessage } from './decode';

const contracts = orderContracts('io.tributary');
const position = { topic: 'order', partition: 0, offset: '7' };
const history = randomOrderHistory(seededRandom(1), 'order-1');

describe('decoding the relay CloudEvents', () => {
  it.each(['binary', 'structured'] as const)(
    'a %s-mode message decodes to the event the relay published',
    (mode) => {
      for (const event of history) {
        const decoded = decodeMessage(toRelayMessage(event, { mode }), position, contracts);
        expect(decoded).toEqual({ ok: true, event: { ...event, position } });
      }
    },
  );

  it('an OrderCreated v1 event is upcast: change and state gain the sales channel', () => {
    const created = orderHistory('order-v1', [createOrder('order-v1', '2026-11-01T10:00:00.000Z')])[0]!;
    const { salesChannel: _c, ...changeV1 } = created.change as Record<string, unknown>;
    const { salesChannel: _s, ...stateV1 } = created.state;
    const v1 = { ...created, schemaVersion: 1, change: changeV1, state: stateV1 as typeof created.state };
    const decoded = decodeMessage(toRelayMessage(v1), position, contracts);
    expect(decoded).toEqual({ ok: true, event: { ...created, position } });
  });
});

describe('a poison message is returned with its reason, never thrown', () => {
  const good = toRelayMessage(history[0]!);
  const cases: [string, Parameters<typeof decodeMessage>[0], RegExp][] = [
    [
      'not a CloudEvent',
      { key: good.key, value: Buffer.from('{"hello":1}'), headers: {}, offset: '1' },
      /not a valid CloudEvent/,
    ],
    ['a tombstone', { ...good, value: null }, /no value/],
    [
      'a binary event of another spec version',
      { ...good, headers: { ...good.headers, ce_specversion: Buffer.from('0.3') } },
      /ce_specversion '0.3' is not 1.0/,
    ],
    [
      'a binary event without source',
      { ...good, headers: { ...good.headers, ce_source: Buffer.from('') } },
      /ce_source is missing/,
    ],
    [
      'a binary event with a bad time',
      { ...good, headers: { ...good.headers, ce_time: Buffer.from('yesterday') } },
      /ce_time 'yesterday' is not an RFC 3339/,
    ],
    [
      'a binary event with XML data',
      { ...good, headers: { ...good.headers, 'content-type': Buffer.from('application/xml') } },
      /content type 'application\/xml' is not JSON/,
    ],
    [
      'a structured event without an id',
      {
        key: good.key,
        value: Buffer.from(
          JSON.stringify({ specversion: '1.0', source: '/x', type: 'io.tributary.order.created.v2' }),
        ),
        headers: { 'content-type': Buffer.from('application/cloudevents+json; charset=utf-8') },
        offset: '1',
      },
      /not a valid CloudEvent/,
    ],
    [
      'an unknown type',
      { ...good, headers: { ...good.headers, ce_type: Buffer.from('io.tributary.order.exploded.v1') } },
      /unknown event type io.tributary.order.exploded.v1/,
    ],
    [
      'a newer version',
      { ...good, headers: { ...good.headers, ce_type: Buffer.from('io.tributary.order.created.v3') } },
      /newer schema version .* \(up to v2\)/,
    ],
    ['data that is not JSON', { ...good, value: Buffer.from('{oops') }, /not JSON|not a valid CloudEvent/],
    ['data without state', { ...good, value: Buffer.from('{"change":{}}') }, /no \{ change, state \}/],
    [
      'a key that is not the subject',
      { ...good, key: Buffer.from('someone-else') },
      /is not the CloudEvent subject/,
    ],
    [
      'a sequence that is not a version',
      { ...good, headers: { ...good.headers, ce_sequence: Buffer.from('abc') } },
      /sequence extension 'abc'/,
    ],
    [
      'a state of another version',
      { ...good, headers: { ...good.headers, ce_sequence: Buffer.from('00000000000000000009') } },
      /state carried is at version 1, the event at 9/,
    ],
  ];
  it.each(cases)('%s', (_name, message, reason) => {
    const decoded = decodeMessage(message, position, contracts);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });

  it('a poison message still names its aggregate when its key or subject does, so the aggregate is parked', () => {
    const decoded = decodeMessage(
      { ...good, headers: { ...good.headers, ce_type: Buffer.from('io.tributary.order.created.v3') } },
      position,
      contracts,
    );
    expect(decoded).toMatchObject({ ok: false, aggregateId: 'order-1', eventId: history[0]!.id, version: 1 });
  });
});
