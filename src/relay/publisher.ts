import { CompressionTypes, ConfigResourceTypes, Kafka, type Message, type Producer } from 'kafkajs';
import { TributaryError } from '../errors';
import { describeKafkaSecurityFailure, kafkaClient, orderedProducer, type KafkaSettings } from '../clients';
import { installRecordEncoder } from './kafka-record-encoding';

/**
 * Publishes to Kafka with an idempotent producer (acks from all in-sync replicas, retries without
 * duplicates). Topics are `tributary setup`'s to create: the producer never creates one (nor lets the broker
 * auto-create one with its defaults), and a batch for a missing topic fails and is retried until it exists.
 */

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves once Kafka acknowledged every message (acks=all); rejects otherwise. */
  publish(batch: TopicMessages[]): Promise<void>;
  /** Each topic's `max.message.bytes` as the broker reports it (topics it does not report are left out). */
  maxMessageBytes(topics: string[]): Promise<Map<string, number>>;
  disconnect(): Promise<void>;
}

export interface KafkaPublisherOptions {
  /** Where and as whom to connect (KAFKA_* settings: brokers, TLS, SASL user). */
  connection: KafkaSettings;
  clientId: string;
  /** Gzip is the only codec kafkajs carries without extra packages. */
  compression: 'none' | 'gzip';
}

/**
 * Kafka errors that no retry will fix. The relay checks each record's size and validity before sending and
 * dead-letters what Kafka would refuse, so one of these means a broker limit the check did not know (a
 * broker-wide `message.max.bytes` below the topic's): the relay stops rather than skip. Authorization errors
 * are not here: a missing ACL is fixed by an operator, and the relay retries (logging each failure) until then.
 */
const FATAL_KAFKA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'UNSUPPORTED_VERSION',
]);

/** The broker's error code on a kafkajs error, or on the one it wraps (`originalError`, or `cause` after retries). */
function kafkaErrorType(error: unknown): string | undefined {
  const { type, originalError, cause } = error as {
    type?: string;
    originalError?: { type?: string };
    cause?: { type?: string };
  };
  return type ?? originalError?.type ?? cause?.type;
}

function classify(error: unknown, connection: KafkaSettings): TributaryError {
  const denied = describeKafkaSecurityFailure(error, connection);
  if (denied) return new TributaryError('infra.denied', denied, { cause: error, retriable: true });
  const kind = kafkaErrorType(error);
  if (kind === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new TributaryError(
      'infra.unavailable',
      `Kafka: a topic of this batch does not exist; \`tributary setup\` creates the topics (TOPIC_AGGREGATE_TYPES): ${(error as Error).message}`,
      { cause: error, retriable: true },
    );
  }
  if (kind && FATAL_KAFKA_ERRORS.has(kind)) {
    return new TributaryError(
      'internal',
      `Kafka will never accept this batch (${kind}): ${(error as Error).message}`,
      {
        cause: error,
        retriable: false,
      },
    );
  }
  return new TributaryError('infra.unavailable', `Kafka: ${(error as Error).message}`, {
    cause: error,
    retriable: true,
  });
}

export function kafkaPublisher(options: KafkaPublisherOptions): Publisher {
  // One buffer per record instead of one per header: identical bytes, a fraction of the allocation.
  installRecordEncoder();
  const kafka = kafkaClient(options.connection, {
    clientId: options.clientId,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  let producer: Producer | undefined;

  return {
    async connect() {
      producer = orderedProducer(kafka);
      try {
        await producer.connect();
      } catch (error) {
        throw classify(error, options.connection);
      }
    },
    async publish(batch) {
      if (!producer) throw new TributaryError('internal', 'publish before connect');
      try {
        await producer.sendBatch({
          topicMessages: batch,
          acks: -1,
          compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        });
      } catch (error) {
        throw classify(error, options.connection);
      }
    },
    async maxMessageBytes(topics) {
      try {
        return await readMaxMessageBytes(kafka, topics);
      } catch (error) {
        // Without DescribeConfigs rights the limits are unknown (the caller's fallback applies); any other
        // failure is the broker's, transient, and fails the session like a failed send would.
        if (kafkaErrorType(error)?.endsWith('_AUTHORIZATION_FAILED')) return new Map();
        throw classify(error, options.connection);
      }
    },
    async disconnect() {
      // Called after a failed session, whose error is being handled: this producer is discarded either way.
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
    },
  };
}

/** Each topic's `max.message.bytes` through a short-lived admin client (DescribeConfigs on the topics). */
async function readMaxMessageBytes(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const described = await admin.describeConfigs({
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
      includeSynonyms: false,
    });
    const limits = new Map<string, number>();
    for (const resource of described.resources) {
      const value = resource.configEntries.find((entry) => entry.configName === 'max.message.bytes');
      if (resource.errorCode === 0 && value) limits.set(resource.resourceName, Number(value.configValue));
    }
    return limits;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
