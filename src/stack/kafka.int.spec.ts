import { isolate, Isolated } from '../../test/harness';

describe('the stack Kafka broker with kafkajs', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(__filename);
  });
  afterAll(() => env.cleanup());

  it('creates a topic, takes messages from an idempotent producer and gives them back to a consumer in order', async () => {
    const kafka = env.kafka();
    const topic = `${env.config.topicPrefix}probe`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
        true,
      );
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 50 }, (_, i) => ({ key: `order-${i % 5}`, value: `event-${i}` }));
    try {
      const acks = await producer.send({ topic, acks: -1, messages: sent });
      expect(acks.every((ack) => ack.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }

    const consumer = kafka.consumer({ groupId: `${env.name}-group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.length} of 50 messages arrived`)),
        60_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push({ key: message.key!.toString(), value: message.value!.toString() });
            if (received.length === sent.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    // Per key, the consumer sees the producer's order (one key → one partition).
    for (let key = 0; key < 5; key++) {
      const values = (list: { key: string; value: string }[]) =>
        list.filter((m) => m.key === `order-${key}`).map((m) => m.value);
      expect(values(received)).toEqual(values(sent));
    }
  });
});
