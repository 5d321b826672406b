import type { Kafka } from 'kafkajs';
import type { Config } from '../config';
import { dlqTopic, orderTopic, topicPerAggregateType } from '../contracts';
import type { Executor } from '../db/executor';

/**
 * The topics of a deployment, created by `tributary setup` so that neither the relay nor a projector needs
 * the right to create topics: one per aggregate type (TOPIC_AGGREGATE_TYPES, and every type the event store
 * already holds), and the `.dlq` of the topic the projectors consume.
 */

export const STREAM_TYPES_SQL = `select distinct stream_type from events`;

export async function deploymentTopics(
  config: Pick<Config, 'topicPrefix' | 'topicAggregateTypes'>,
  executor: Executor,
): Promise<string[]> {
  const stored = await executor.query<{ stream_type: string }>(STREAM_TYPES_SQL);
  const route = topicPerAggregateType(config.topicPrefix);
  const types = new Set([...config.topicAggregateTypes, ...stored.map((row) => row.stream_type)]);
  const topics = [...types].map((aggregateType) => route({ aggregateType }));
  return [...new Set([...topics, dlqTopic(orderTopic(config))])].sort();
}

/** Creates the topics that do not exist yet with `partitions` partitions; returns those it created. */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions: number): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
        })
        .catch((error: { type?: string }) => {
          // Another setup (or an operator) created one meanwhile: it exists, which is all this asks.
          if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
