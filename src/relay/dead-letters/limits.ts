import type { Logger } from 'pino';
import type { Publisher } from '../publisher';

/**
 * Each topic's `max.message.bytes`, read from the broker once per session (a limit raised by an operator is
 * seen by the next session). A topic the broker does not report, or a failed lookup (no DescribeConfigs
 * right), takes the RELAY_MAX_MESSAGE_BYTES fallback; a failed lookup is tried again at the next batch.
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
      let read: Map<string, number>;
      try {
        read = await publisher.maxMessageBytes(missing);
      } catch (error) {
        // Not kept: the next batch asks again (the broker may have been unreachable for a moment).
        logger.warn(
          { err: (error as Error).message, topics: missing, fallbackBytes },
          "could not read the topics' max.message.bytes; using RELAY_MAX_MESSAGE_BYTES",
        );
        return;
      }
      for (const topic of missing) known.set(topic, read.get(topic) ?? fallbackBytes);
    },
    get: (topic) => known.get(topic) ?? fallbackBytes,
  };
}
