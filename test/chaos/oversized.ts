import { randomUUID } from 'node:crypto';
import { pgExecutor } from '../../src/db/executor';
import { listDeadLetters } from '../../src/relay';
import { resolveWithPublisher, setMaxMessageBytes } from '../fixtures/dead-letters';
import { eventually } from '../fixtures/relay';
import type { FaultContext, Scenario } from './scenarios';
import { kafkaClient } from '../../src/clients';

/**
 * An oversized record in the middle of the load: the order topic's max.message.bytes is lowered before the
 * pipeline starts, and one order is created (then extended) through the API with an event far above it. The
 * relay dead-letters that event and parks the order's later ones while every other order keeps flowing; after
 * the load, the limit is raised and the dead letter replayed, and `verify` must find 0 lost and the order's
 * events in stream order.
 */

const SMALL_LIMIT_BYTES = 8_192;
const DEFAULT_LIMIT_BYTES = 1_048_588;

function setOrderTopicLimit({ pipeline }: FaultContext, bytes: number): Promise<void> {
  const kafka = kafkaClient(pipeline.config, { clientId: 'chaos-oversized' });
  return setMaxMessageBytes(kafka, `${pipeline.config.topicPrefix}order`, bytes);
}

async function post(context: FaultContext, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${context.pipeline.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...context.pipeline.credential },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
}

/** An order whose OrderCreated event is ~80 KB (150 lines with long names), then one more line on it. */
async function writeOversizedOrder(context: FaultContext): Promise<void> {
  const id = randomUUID();
  const lines = Array.from({ length: 150 }, (_, n) => ({
    sku: `big-${n}`,
    name: `oversized item ${n} `.padEnd(190, 'x'),
    quantity: 1,
    unitPrice: 100,
  }));
  await post(context, '/orders', {
    id,
    customer: { id: 'cust-big', name: 'Big Customer', email: 'big@example.com' },
    lines,
    currency: 'EUR',
  });
  await post(context, `/orders/${id}/lines`, {
    sku: 'after',
    name: 'after the dead letter',
    quantity: 1,
    unitPrice: 100,
  });
  context.say(`  order ${id}: an OrderCreated over ${SMALL_LIMIT_BYTES} bytes, then a line added`);
}

export const OVERSIZED_RECORD: Scenario = {
  name: 'oversized-record',
  fault: `one order event over the topic's max.message.bytes (${SMALL_LIMIT_BYTES}) mid-load: dead-lettered, its order parked, replayed after the load`,
  prepare: (context) => setOrderTopicLimit(context, SMALL_LIMIT_BYTES),
  async inject(context) {
    await writeOversizedOrder(context);
    const [open] = await eventually('the dead letter with its parked record', async () => {
      const rows = await listDeadLetters(
        pgExecutor(context.pipeline.pool),
        context.pipeline.config.relaySlot,
      );
      return rows.length === 1 && rows[0]!.parked >= 1 ? rows : undefined;
    });
    context.say(`  dead letter ${open!.id}: ${open!.reason}; ${open!.parked} parked`);
    await context.sleep(4_000);
  },
  async resolve(context) {
    await setOrderTopicLimit(context, DEFAULT_LIMIT_BYTES);
    const { config } = context.pipeline;
    const [open] = await listDeadLetters(pgExecutor(context.pipeline.pool), config.relaySlot);
    if (!open) throw new Error('no open dead letter to replay');
    const published = await resolveWithPublisher(context.pipeline.pool, config, {
      id: open.id,
      action: 'replay',
      clientId: 'chaos-replay',
    });
    context.say(`  dead letter ${open.id} replayed: ${published} records published in order`);
  },
};
