import {
  Kafka,
  KafkaJSError,
  logLevel,
  Partitioners,
  type KafkaConfig,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { readSettingFile, secretOf, UNTRUSTED_CERTIFICATE } from './common';

/**
 * The one way every process connects to Kafka: the bootstrap servers from KAFKA_BROKERS, the security protocol
 * (SASL over TLS by default), the SASL user of this process with its password from KAFKA_PASSWORD or
 * KAFKA_PASSWORD_FILE, and for TLS the CA from KAFKA_CA_FILE (and a client certificate, for brokers that want
 * one). Each component runs with its own KAFKA_USERNAME, so the broker's ACLs decide what each may do.
 */
export type KafkaSettings = Pick<
  Config,
  | 'kafkaBrokers'
  | 'kafkaSecurityProtocol'
  | 'kafkaSaslMechanism'
  | 'kafkaUsername'
  | 'kafkaPassword'
  | 'kafkaPasswordFile'
  | 'kafkaCaFile'
  | 'kafkaCertFile'
  | 'kafkaKeyFile'
>;

/** What a call site sets itself: everything but the connection (brokers, TLS, SASL). */
export type KafkaExtra = Omit<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

const invalid = (message: string) => new TributaryError('config.invalid', message);

function tlsOf(config: KafkaSettings): ConnectionOptions {
  const tls: ConnectionOptions = {};
  if (config.kafkaCaFile !== '') tls.ca = [readSettingFile(config.kafkaCaFile, 'KAFKA_CA_FILE')];
  if ((config.kafkaCertFile === '') !== (config.kafkaKeyFile === '')) {
    throw invalid('set KAFKA_CERT_FILE and KAFKA_KEY_FILE together (a client certificate and its key)');
  }
  if (config.kafkaCertFile !== '') {
    tls.cert = readSettingFile(config.kafkaCertFile, 'KAFKA_CERT_FILE');
    tls.key = readSettingFile(config.kafkaKeyFile, 'KAFKA_KEY_FILE');
  }
  return tls;
}

function saslOf(config: KafkaSettings): SASLOptions {
  const password = secretOf(config.kafkaPassword, config.kafkaPasswordFile);
  if (password === '') {
    throw invalid(
      `no Kafka password for ${config.kafkaUsername}: set KAFKA_PASSWORD, or KAFKA_PASSWORD_FILE to a file holding it (${config.kafkaPasswordFile || 'empty'})`,
    );
  }
  return { mechanism: config.kafkaSaslMechanism, username: config.kafkaUsername, password };
}

/** The kafkajs options of `config`, with `extra` (client id, timeouts, retries) on top. Throws 'config.invalid'. */
export function kafkaOptions(config: KafkaSettings, extra: KafkaExtra = {}): KafkaConfig {
  const options: KafkaConfig = { logLevel: logLevel.NOTHING, ...extra, brokers: config.kafkaBrokers };
  const protocol = config.kafkaSecurityProtocol;
  if (protocol === 'ssl' || protocol === 'sasl_ssl') options.ssl = tlsOf(config);
  if (protocol === 'sasl_ssl' || protocol === 'sasl_plaintext') options.sasl = saslOf(config);
  return options;
}

export function kafkaClient(config: KafkaSettings, extra: KafkaExtra = {}): Kafka {
  return new Kafka(kafkaOptions(config, extra));
}

/**
 * The producer every component writes with: idempotent, with one request in flight, which keeps the order per
 * partition across retries whatever the client version does, and no topic creation (setup creates them).
 */
export function orderedProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
}

/** A Kafka client that connects and disconnects: a producer, a consumer, an admin. */
interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Connects every client in turn, or none: a failed attempt (a refused credential) leaves nothing open. */
export async function connectAll(clients: readonly Connectable[]): Promise<void> {
  try {
    for (const client of clients) await client.connect();
  } catch (error) {
    await Promise.all(clients.map((client) => client.disconnect().catch(() => undefined)));
    throw error;
  }
}

/** Kafka's authorization error codes (protocol error types), by what the principal lacks. */
const DENIED: Record<string, string> = {
  TOPIC_AUTHORIZATION_FAILED: 'a topic ACL',
  GROUP_AUTHORIZATION_FAILED: 'a consumer group ACL',
  CLUSTER_AUTHORIZATION_FAILED: 'a cluster ACL',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'a transactional id ACL',
};

/** The chain of causes of `error` (kafkajs wraps: retries, connection errors), outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 10;) {
    chain.push(current);
    const next = (current as { cause?: unknown; originalError?: unknown }) ?? {};
    current = next.originalError ?? next.cause;
  }
  return chain;
}

function describeOne(error: unknown, user: string): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'KafkaJSSASLAuthenticationError') {
    return `Kafka refused the credential of ${user} (${error.message}): check KAFKA_USERNAME and KAFKA_PASSWORD or KAFKA_PASSWORD_FILE`;
  }
  const type = (error as KafkaJSError & { type?: string }).type;
  if (type !== undefined && DENIED[type]) {
    return `Kafka denied ${user} (${type}): the principal User:${user} lacks ${DENIED[type]}; \`tributary setup\` grants the component users theirs`;
  }
  if (error.name === 'KafkaJSGroupCoordinatorNotFound') {
    // kafkajs drops the broker's GROUP_AUTHORIZATION_FAILED from FindCoordinator and reports only this.
    return `Kafka found no coordinator for ${user}'s consumer group, which is what a missing ACL looks like: the principal User:${user} lacks a consumer group ACL (GROUP_AUTHORIZATION_FAILED); \`tributary setup\` grants the component users theirs`;
  }
  if (UNTRUSTED_CERTIFICATE.test(error.message)) {
    return `Kafka's certificate is not trusted (${error.message}): set KAFKA_CA_FILE to the CA that signed it`;
  }
  return undefined;
}

/**
 * One line naming what to fix, for a failure of the connection's security: a credential refused, a
 * missing ACL, or a broker certificate not trusted. Undefined for other failures. Each is retried where it
 * occurs (an operator fixes the setting or the ACL; the process goes on), never a reason to give up a record.
 */
export function describeKafkaSecurityFailure(
  error: unknown,
  config: Pick<KafkaSettings, 'kafkaUsername'>,
): string | undefined {
  for (const cause of causes(error)) {
    const line = describeOne(cause, config.kafkaUsername);
    if (line) return line;
  }
  return undefined;
}
