import type { Logger } from 'pino';
import type { Publisher } from '../publisher';

/**
 * Each topic's `max.message.bytes`, read from the broker once per session (a limit raised by an operator is
 * seen by the next session). A topic the broker does not report (no DescribeConfigs right) takes the
 * RELAY_MAX_MESSAGE_BYTES fallback; an unreachable broker fails the lookup, and with it the session.
 */
export interface TopicLimits {
  /** Reads the limits of topics not seen yet in this session. */
  load(topics: Iterable<string>): Promise<void>;
  /** A topic's limit (the fallback for one not loaded). */
  get(topic: string): number;
}

export function topicLimits(publisher: Publisher, fallbackBytes: number, logger: Logger): TopicLimits {
  const known = new Map<string, number>();
  return {
    async load(topics) {
      const missing = [...new Set(topics)].filter((topic) => !known.has(topic));
      if (missing.length === 0) return;
      // A broker that cannot be reached fails the session (retried with backoff): guessing a limit then could
      // send a record the topic refuses, which stops the relay.
      const read = await publisher.maxMessageBytes(missing);
      const unreported = missing.filter((topic) => !read.has(topic));
      if (unreported.length > 0) {
        logger.warn(
          { topics: unreported, fallbackBytes },
          "the broker did not report these topics' max.message.bytes (DescribeConfigs denied?); using RELAY_MAX_MESSAGE_BYTES",
        );
      }
      for (const topic of missing) known.set(topic, read.get(topic) ?? fallbackBytes);
    },
    get: (topic) => known.get(topic) ?? fallbackBytes,
  };
}
