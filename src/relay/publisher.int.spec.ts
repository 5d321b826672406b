import { TributaryError } from '../errors';
import { isolate, type Isolated } from '../../test/harness';
import { kafkaPublisher } from './publisher';

/**
 * Topics are `tributary setup`'s to create: the relay's producer never creates one, and a batch for a missing
 * topic fails as a retriable error that says what to run.
 */
describe('the relay publisher and missing topics', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(__filename);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('fails a batch for a topic that does not exist, retriably and naming setup, and creates no topic', async () => {
    const topic = `${env.config.topicPrefix}nowhere`;
    const publisher = kafkaPublisher({
      connection: env.config,
      clientId: 'test-missing-topic',
      compression: 'none',
    });
    await publisher.connect();
    try {
      const failure = await publisher.publish([{ topic, messages: [{ key: 'k', value: 'v' }] }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(TributaryError);
      expect(failure).toMatchObject({ retriable: true, code: 'infra.unavailable' });
      expect((failure as Error).message).toMatch(/does not exist; `tributary setup` creates the topics/);
    } finally {
      await publisher.disconnect();
    }
    const admin = env.kafka().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });
});
