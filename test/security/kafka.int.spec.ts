import type { Kafka } from 'kafkajs';
import { kafkaClient } from '../../src/clients';
import { loadConfig, type Config } from '../../src/config';
import { orderTopic } from '../../src/contracts';
import { createReportingProjection } from '../../src/projections/reporting';
import { kafkaPublisher } from '../../src/relay/publisher';
import { ensureTopics } from '../../src/setup';
import { startProjector } from '../fixtures/projector';
import { eventually, startRelay } from '../fixtures/relay';
import { openRolesFixture, type RolesFixture } from '../fixtures/roles';
import { Pool } from 'pg';

/**
 * Kafka's security as the stack runs it (SASL_SSL, SCRAM-SHA-512, the StandardAuthorizer) and as `setup`
 * grants it: each component user can do its own work and nothing else, and a wrong password, a missing ACL
 * or an untrusted certificate is one clear line (code `infra.denied`) followed by a retry — never a crash.
 */

let fx: RolesFixture;
/** The fixture's configuration as one Kafka user runs it. */
const as = (user: string, settings: Record<string, string> = {}): Config =>
  loadConfig({
    ...process.env,
    DATABASE_URL: fx.env.config.databaseUrl,
    TOPIC_PREFIX: fx.config.topicPrefix,
    INDEX_PREFIX: fx.config.indexPrefix,
    RELAY_SLOT: fx.config.relaySlot,
    RELAY_METRICS_PORT: '0',
    KAFKA_USERNAME: `${fx.config.kafkaUserPrefix}${user}`,
    ...settings,
  });
const record = (topic: string) => [{ topic, messages: [{ key: 'k', value: 'v' }] }];
const deniedLines = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.code === 'infra.denied').map((line) => String(line.msg));

beforeAll(async () => {
  fx = await openRolesFixture(__filename);
});

afterAll(async () => {
  await fx?.close();
});

describe('what each component user may do', () => {
  const clients: Kafka[] = [];
  const client = (user: string) => {
    const kafka = kafkaClient(as(user), { clientId: `acl-${user}`, retry: { retries: 0 } });
    clients.push(kafka);
    return kafka;
  };
  const produce = async (user: string, topic: string) => {
    const producer = client(user).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
    } finally {
      await producer.disconnect();
    }
  };

  it('lets the relay write its topics, and nobody else', async () => {
    const topic = orderTopic(fx.config);
    await expect(produce('relay', topic)).resolves.toBeUndefined();
    for (const user of ['search', 'reporting', 'verify']) {
      await expect(produce(user, topic)).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    }
  });

  it('lets no component user create a topic', async () => {
    for (const user of ['relay', 'search', 'verify']) {
      const admin = client(user).admin();
      await admin.connect();
      try {
        await expect(
          admin.createTopics({ topics: [{ topic: `${fx.config.topicPrefix}made-by-${user}` }] }),
        ).rejects.toMatchObject({
          errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })],
        });
      } finally {
        await admin.disconnect();
      }
    }
  });

  it("does not let a projector read a topic that is not its own, nor join another projector's group", async () => {
    const payment = `${fx.config.topicPrefix}payment`;
    const reader = client('search').consumer({ groupId: `${fx.config.projectorGroupPrefix}search` });
    await reader.connect();
    try {
      await expect(reader.subscribe({ topic: payment, fromBeginning: true })).rejects.toMatchObject({
        type: 'TOPIC_AUTHORIZATION_FAILED',
      });
    } finally {
      await reader.disconnect();
    }
    const intruder = client('search').consumer({ groupId: `${fx.config.projectorGroupPrefix}reporting` });
    await intruder.connect();
    try {
      await intruder.subscribe({ topic: orderTopic(fx.config), fromBeginning: true });
      const crashed = new Promise<Error>((resolve) =>
        intruder.on(intruder.events.CRASH, ({ payload }) => resolve(payload.error)),
      );
      await intruder.run({ eachMessage: async () => undefined });
      // The broker answers GROUP_AUTHORIZATION_FAILED; kafkajs reports it as no coordinator found.
      expect((await crashed).name).toBe('KafkaJSGroupCoordinatorNotFound');
    } finally {
      await intruder.disconnect();
    }
  });
});

describe('security failures: one clear line, then a retry', () => {
  it('a wrong password: the relay says which credential and retries', async () => {
    const publisher = kafkaPublisher({
      connection: as('relay', { KAFKA_PASSWORD: 'not-the-password' }),
      clientId: 'wrong-password',
      compression: 'none',
    });
    await expect(publisher.connect()).rejects.toMatchObject({
      code: 'infra.denied',
      retriable: true,
      message: expect.stringMatching(
        /^Kafka refused the credential of \S+relay .*check KAFKA_USERNAME and KAFKA_PASSWORD/,
      ),
    });
    await publisher.disconnect();

    const relay = startRelay(as('relay', { KAFKA_PASSWORD: 'not-the-password' }));
    try {
      await eventually('two denied sessions', () => deniedLines(relay.lines).length >= 2, 30_000);
      expect(new Set(deniedLines(relay.lines)).size).toBe(1);
      expect(deniedLines(relay.lines)[0]).toMatch(/refused the credential/);
    } finally {
      await relay.stop();
    }
  });

  it('a missing ACL: the publisher names the principal and the kind of ACL it lacks', async () => {
    const stray = `${fx.config.topicPrefix}stray`;
    await ensureTopics(fx.env.kafka(), [stray], 1);
    const publisher = kafkaPublisher({ connection: as('relay'), clientId: 'no-acl', compression: 'none' });
    await publisher.connect();
    try {
      await expect(publisher.publish(record(stray))).rejects.toMatchObject({
        code: 'infra.denied',
        retriable: true,
        message: expect.stringMatching(/User:\S+relay lacks a topic ACL/),
      });
    } finally {
      await publisher.disconnect();
    }
  });

  it('a missing ACL: a projector in a group it may not use logs why and keeps trying', async () => {
    const pool = new Pool({ connectionString: fx.env.config.databaseUrl, max: 2 });
    const projector = startProjector(
      as('reporting', { PROJECTOR_GROUP_PREFIX: 'not-granted-' }),
      createReportingProjection({ pool }),
      { retryMaxMs: 1_000 },
    );
    try {
      await eventually('two denied attempts', () => deniedLines(projector.lines).length >= 2, 60_000);
      expect(deniedLines(projector.lines)[0]).toMatch(
        /User:\S+reporting lacks a consumer group ACL \(GROUP_AUTHORIZATION_FAILED\)/,
      );
    } finally {
      await projector.stop();
      await pool.end();
    }
    await expect(projector.done).resolves.toBeUndefined();
  });

  it('an untrusted certificate: the client says to set KAFKA_CA_FILE', async () => {
    // The system's CAs, which never signed the stack's broker certificate.
    const publisher = kafkaPublisher({
      connection: as('relay', { KAFKA_CA_FILE: '' }),
      clientId: 'untrusted',
      compression: 'none',
    });
    await expect(publisher.connect()).rejects.toMatchObject({
      code: 'infra.denied',
      message: expect.stringMatching(/^Kafka's certificate is not trusted .*set KAFKA_CA_FILE/),
    });
    await publisher.disconnect();
  });
});
