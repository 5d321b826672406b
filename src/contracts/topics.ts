import { TributaryError } from '../errors';

/**
 * Topic names: where the relay publishes and what consumers subscribe to. Both sides name topics through
 * these functions, so a deployment's prefix is the only thing that distinguishes its topics.
 */

/** Kafka's limit on topic names (longer names break its on-disk directory names). */
export const MAX_TOPIC_LENGTH = 249;
const TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;

/**
 * Returns `topic` when Kafka accepts it as a topic name: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
 * Throws `input.invalid` otherwise, before Kafka would fail the whole batch with it.
 */
export function validTopicName(topic: string): string {
  if (typeof topic !== 'string' || !TOPIC_CHARS.test(topic) || topic === '.' || topic === '..') {
    throw new TributaryError(
      'input.invalid',
      `'${String(topic)}' is not a Kafka topic name: use letters, digits, '.', '_' and '-'`,
      { details: { topic: String(topic) } },
    );
  }
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new TributaryError(
      'input.invalid',
      `Kafka topic name '${topic.slice(0, 40)}…' is ${topic.length} characters, at most ${MAX_TOPIC_LENGTH} allowed`,
      { details: { topic } },
    );
  }
  return topic;
}

/**
 * The default routing: one topic per aggregate type, `${prefix}${aggregateType}`, e.g. prefix `tributary.`
 * and aggregate type `order` → `tributary.order`. The prefix is used as given (include its separator) so
 * that a deployment's prefix setting, possibly empty, is the only thing that distinguishes its topics.
 * One topic per aggregate type keeps one aggregate's events in one topic, and consumers subscribe by type.
 */
export function topicPerAggregateType(prefix = ''): (entry: { aggregateType: string }) => string {
  if (prefix !== '') validTopicName(prefix);
  return (entry) => validTopicName(`${prefix}${entry.aggregateType}`);
}

/** The dead-letter topic of a topic: `<topic>.dlq`. */
export function dlqTopic(topic: string): string {
  return validTopicName(`${validTopicName(topic)}.dlq`);
}

/** The prefix of the consumer groups `verify` reads with (one random group per scan; its ACL covers the prefix). */
export const VERIFY_GROUP_PREFIX = 'tributary-verify-';
