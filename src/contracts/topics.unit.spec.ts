import { TributaryError } from '../errors';
import { ORDER_AGGREGATE_TYPE, orderTopic } from './order-topic';
import { dlqTopic, MAX_TOPIC_LENGTH, topicPerAggregateType, validTopicName } from './topics';

/** The part of an outbox entry (or any event) that routing reads. */
function entry(aggregateType: string): { aggregateType: string } {
  return { aggregateType };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof TributaryError ? error.code : 'not a TributaryError';
  }
  return undefined;
}

describe('topic routing', () => {
  it('routes each aggregate type to its own topic: prefix + aggregate type', () => {
    const route = topicPerAggregateType('tributary.');
    expect(route(entry('order'))).toBe('tributary.order');
    expect(route(entry('payment'))).toBe('tributary.payment');
  });

  it('uses the aggregate type alone when the prefix is empty (the default)', () => {
    expect(topicPerAggregateType()(entry('order'))).toBe('order');
    expect(topicPerAggregateType('')(entry('inventory_item'))).toBe('inventory_item');
  });

  it('sends every event of one aggregate type to the same topic', () => {
    const route = topicPerAggregateType('t-');
    const topics = new Set([1, 2, 3].map(() => route(entry('order'))));
    expect(topics.size).toBe(1);
  });

  it('refuses an aggregate type that would make an illegal topic name', () => {
    const route = topicPerAggregateType('tributary.');
    expect(codeOf(() => route(entry('order lines')))).toBe('input.invalid');
    expect(codeOf(() => route(entry('commande/été')))).toBe('input.invalid');
  });

  it('refuses an illegal prefix up front', () => {
    expect(codeOf(() => topicPerAggregateType('my topics.'))).toBe('input.invalid');
  });

  it('names the dead-letter topic <topic>.dlq', () => {
    expect(dlqTopic('tributary.order')).toBe('tributary.order.dlq');
  });

  it('accepts Kafka-legal names up to 249 characters and refuses longer ones', () => {
    const longest = 'a'.repeat(MAX_TOPIC_LENGTH);
    expect(validTopicName(longest)).toBe(longest);
    expect(validTopicName('Orders_v2-eu.west')).toBe('Orders_v2-eu.west');
    expect(codeOf(() => validTopicName(`${longest}b`))).toBe('input.invalid');
    // A legal topic whose dead-letter name would be too long.
    expect(codeOf(() => dlqTopic('a'.repeat(MAX_TOPIC_LENGTH - 2)))).toBe('input.invalid');
  });

  it.each(['', '.', '..', 'orders!', 'orders topic', 'ordres/eu', 'café'])(
    'refuses the topic name %p',
    (topic) => {
      expect(codeOf(() => validTopicName(topic))).toBe('input.invalid');
    },
  );
});

describe('the order topic', () => {
  it('is the topic the default routing gives order events, so consumers read where the relay writes', () => {
    expect(orderTopic({ topicPrefix: 'tributary.' })).toBe('tributary.order');
    expect(orderTopic({ topicPrefix: 'int-42-' })).toBe(
      topicPerAggregateType('int-42-')({ aggregateType: ORDER_AGGREGATE_TYPE }),
    );
    expect(orderTopic({ topicPrefix: '' })).toBe('order');
  });
});
