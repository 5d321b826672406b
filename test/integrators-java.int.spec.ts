import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEventStoreFor, createOrderService, type OrderService } from '../src/commands';
import { cloudEventType, dataschemaUri, sequenceOf } from '../src/contracts';
import { createOrder, line } from './fixtures/orders';
import {
  openIntegratorView,
  startRelayIn,
  storedOrderEvents,
  type IntegratorView,
} from './fixtures/integrator';
import { dropSlotWhenInactive, readUntilAll, relaySlotName } from './fixtures/relay';
import { openStoreFixture, type StoreFixture } from './fixtures/store';

/**
 * The Java example of docs/integrators.md (examples/java-consumer: the CloudEvents SDK's CloudEventDeserializer
 * in a KafkaConsumer) built with Maven and run against the local stack as the verify user, over SASL_SSL with
 * the stack CA as a PEM trust store: it reads exactly the events the relay published from the event store,
 * with their CloudEvents attributes, in binary mode and, after the relay is switched, in structured mode.
 */
const execFileAsync = promisify(execFile);
const EXAMPLE = join(__dirname, '..', 'examples', 'java-consumer');
const DATASCHEMA_BASE = 'http://127.0.0.1:8080/schemas';
/** A first build downloads the dependencies and plugins from Maven Central; later ones take ~10 s. */
const BUILD_MS = 300_000;

interface Line {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  sequence: string;
  dataschema?: string;
  key: string;
  mode: 'binary' | 'structured';
  data: { change: unknown; state: { id: string; version: number; salesChannel?: string } };
}

let fx: StoreFixture;
let view: IntegratorView;
let service: OrderService;
let build: Promise<unknown>;
const group = () => `tributary-verify-java-example-${fx.env.name}`;

beforeAll(async () => {
  // The build runs while the relay publishes.
  build = execFileAsync('mvn', ['-q', '-B', '-Dstyle.color=never', 'package'], {
    cwd: EXAMPLE,
    timeout: BUILD_MS,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    // Maven reports its errors on stdout.
    throw new Error(`building examples/java-consumer failed: ${error.message}\n${error.stdout ?? ''}`);
  });
  build.catch(() => undefined);
  fx = await openStoreFixture(__filename, { settings: { CLOUDEVENT_DATASCHEMA_BASE: DATASCHEMA_BASE } });
  view = await openIntegratorView(fx);
  service = createOrderService(fx.config, createEventStoreFor(fx.config, fx.pool));
});

afterAll(async () => {
  await view?.close([group()]);
  await dropSlotWhenInactive(fx.pool, relaySlotName(fx.env.name, 'integrator')).catch(() => undefined);
  await fx?.close();
});

/** Runs commands with the relay in `mode` until everything stored so far is on the topic. */
async function publishIn(mode: 'binary' | 'structured', commands: () => Promise<void>): Promise<void> {
  const relay = await startRelayIn(fx, mode);
  try {
    await commands();
    const ids = (await storedOrderEvents(fx)).map((row) => row.id);
    await readUntilAll(fx.env.kafka(), [view.topic], ids);
  } finally {
    await relay.stop();
  }
}

async function runJavaConsumer(maxEvents: number): Promise<{ lines: Line[]; ms: number }> {
  const password = view.verify.kafkaPassword;
  const started = Date.now();
  const { stdout } = await execFileAsync(
    'java',
    [
      '-jar',
      join(EXAMPLE, 'target', 'tributary-java-consumer.jar'),
      ...['--bootstrap', view.verify.kafkaBrokers.join(','), '--topic', view.topic, '--group', group()],
      ...['--user', view.verify.kafkaUsername, '--ca-file', view.verify.kafkaCaFile],
      ...(password !== '' ? ['--password', password] : ['--password-file', view.verify.kafkaPasswordFile]),
      ...['--max-events', String(maxEvents), '--timeout-ms', '60000'],
    ],
    { timeout: 90_000 },
  );
  const lines = stdout
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => JSON.parse(text) as Line);
  return { lines, ms: Date.now() - started };
}

// The timeout covers the Maven build: on a machine whose ~/.m2 lacks the dependencies, a download from Maven Central.
it(
  'the Java example reads exactly the events written, with their CloudEvents attributes, in both modes',
  async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    const at = () => new Date().toISOString();
    await publishIn('binary', async () => {
      await service.executeOrder({ ...createOrder(first, at()), salesChannel: 'store' });
      await service.executeOrder({ type: 'AddOrderLine', orderId: first, line: line('sku-b', 2), at: at() });
      await service.executeOrder(createOrder(second, at()));
      await service.executeOrder({ type: 'ConfirmOrder', orderId: first, at: at() });
    });
    const binaryIds = new Set((await storedOrderEvents(fx)).map((row) => row.id));
    await publishIn('structured', async () => {
      await service.executeOrder(createOrder(third, at(), [line('sku-c', 1, 990)]));
      await service.executeOrder({ type: 'CancelOrder', orderId: second, reason: 'test', at: at() });
    });
    const stored = await storedOrderEvents(fx);
    expect(stored).toHaveLength(6);

    await build;
    const { lines, ms } = await runJavaConsumer(stored.length);
    process.stdout.write(`[integrators-java] the Java consumer read ${lines.length} events in ${ms} ms\n`);

    expect(lines.map((l) => l.id).sort()).toEqual(stored.map((row) => row.id).sort());
    const byId = new Map(stored.map((row) => [row.id, row]));
    for (const got of lines) {
      const row = byId.get(got.id)!;
      const orderId = (row.data as { orderId: string }).orderId;
      const typed = { aggregateType: 'order', eventType: row.eventType, schemaVersion: row.schemaVersion };
      expect(got).toEqual({
        id: row.id,
        type: cloudEventType(typed, fx.config.cloudEventTypePrefix),
        source: `${fx.config.cloudEventSource}/order`,
        subject: orderId,
        time: expect.any(String),
        sequence: sequenceOf(row.streamVersion),
        dataschema: dataschemaUri(typed, DATASCHEMA_BASE),
        key: orderId,
        mode: binaryIds.has(row.id) ? 'binary' : 'structured',
        data: {
          change: row.data,
          state: expect.objectContaining({ id: orderId, version: row.streamVersion }),
        },
      });
      expect(Date.parse(got.time)).toBe(row.occurredAt.getTime());
    }
    // Per key, in stream order: the key is the aggregate id, one partition per aggregate.
    for (const orderId of [first, second, third]) {
      const sequences = lines.filter((l) => l.subject === orderId).map((l) => l.sequence);
      expect(sequences).toEqual([...sequences].sort());
    }
    expect(lines.find((l) => l.id === stored[0]!.id)!.type).toBe('io.tributary.order.created.v2');
    expect(new Set(lines.map((l) => l.mode))).toEqual(new Set(['binary', 'structured']));
  },
  BUILD_MS + 120_000,
);
