import { TributaryError } from '../../errors';
import { orderContracts } from '../../contracts';
import type { Projection, ProjectionEvent } from '../types';
import { randomOrderHistory, toRelayMessage } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import type { DeadLetter } from './dead-letter';
import { processBatch, type BatchDeps, type BatchInput } from './process-batch';

const random = seededRandom(7);
const a = randomOrderHistory(random, 'order-a');
const b = randomOrderHistory(random, 'order-b');

function batchOf(events: ProjectionEvent[]): BatchInput {
  return {
    topic: 'order',
    partition: 0,
    messages: events.map((event, i) => toRelayMessage(event, { offset: String(i) })),
    highWatermark: String(events.length + 5),
  };
}

/** An in-memory projection and session: what was applied, dead-lettered, committed. */
function harness(
  options: { parked?: string[]; failing?: (event: ProjectionEvent) => TributaryError | undefined } = {},
) {
  const applied: ProjectionEvent[] = [];
  const recorded: DeadLetter[] = [];
  const sent: DeadLetter[] = [];
  const calls: number[] = [];
  let committed = 0;
  let rolledBack = 0;
  let checkpoint: { lastEventAt: string | null; lag: number } | undefined;
  const projection: Projection = {
    name: 'test',
    async apply(events) {
      calls.push(events.length);
      for (const event of events) {
        const failure = options.failing?.(event);
        if (failure) throw failure;
      }
      applied.push(...events);
    },
  };
  const deps: BatchDeps = {
    projection,
    contracts: orderContracts('io.tributary'),
    async begin() {
      return {
        parked: new Set(options.parked ?? []),
        record: async (letters) => void recorded.push(...letters),
        checkpoint: async (lastEventAt, lag) => void (checkpoint = { lastEventAt, lag }),
        commit: async () => void committed++,
        rollback: async () => void rolledBack++,
      };
    },
    sendDeadLetters: async (letters) => void sent.push(...letters),
    retry: { attempts: 3, maxBackoffMs: 1, sleep: async () => undefined, beforeWait: async () => undefined },
  };
  return {
    deps,
    applied,
    recorded,
    sent,
    calls,
    get committed() {
      return committed;
    },
    get rolledBack() {
      return rolledBack;
    },
    get checkpoint() {
      return checkpoint;
    },
  };
}

const interleaved = [a[0]!, b[0]!, ...a.slice(1), ...b.slice(1)];

describe('one batch', () => {
  it('applies every event in Kafka order in one call, then checkpoints and commits', async () => {
    const h = harness();
    const result = await processBatch(batchOf(interleaved), h.deps);
    expect(h.applied.map((e) => e.id)).toEqual(interleaved.map((e) => e.id));
    expect(h.calls).toEqual([interleaved.length]);
    expect(result).toMatchObject({ applied: interleaved.length, deadLettered: 0 });
    expect(h.checkpoint).toEqual({ lastEventAt: result.lastEventAt, lag: 5 });
    expect(h.committed).toBe(1);
  });

  it('a retriable failure is retried until it passes, and nothing is dead-lettered', async () => {
    let failures = 5;
    const h = harness({
      failing: () =>
        failures-- > 0 ? new TributaryError('infra.unavailable', 'es down', { retriable: true }) : undefined,
    });
    await processBatch(batchOf(interleaved), h.deps);
    expect(h.applied).toHaveLength(interleaved.length);
    expect(h.recorded).toEqual([]);
  });

  it('a retriable failure while the consumer is stopping abandons the batch uncommitted', async () => {
    const h = harness({
      failing: () => new TributaryError('infra.unavailable', 'es down', { retriable: true }),
    });
    h.deps.retry.beforeWait = async () => {
      throw new Error('stopping');
    };
    await expect(processBatch(batchOf(interleaved), h.deps)).rejects.toThrow('stopping');
    expect(h.committed).toBe(0);
    expect(h.rolledBack).toBe(1);
  });
});

describe('poison events and parking', () => {
  it('a handler error that persists is dead-lettered after bounded retries; its aggregate is parked behind it; other aggregates go on', async () => {
    const poison = a[1] ?? a[0]!;
    const h = harness({
      failing: (event) =>
        event.id === poison.id ? new TributaryError('input.invalid', 'bad state') : undefined,
    });
    const result = await processBatch(batchOf(interleaved), h.deps);
    const aAfter = a.filter((e) => e.version > poison.version);
    expect(h.applied.map((e) => e.id)).toEqual(
      interleaved.filter((e) => e.aggregateId === 'order-b' || e.version < poison.version).map((e) => e.id),
    );
    expect(h.recorded.map((l) => l.eventId)).toEqual([poison.id, ...aAfter.map((e) => e.id)]);
    expect(h.recorded[0]!.reason).toMatch(/test failed to apply .*: bad state/);
    for (const letter of h.recorded.slice(1)) {
      expect(letter).toMatchObject({
        parkedBehind: poison.id,
        reason: `aggregate parked behind ${poison.id}`,
      });
    }
    expect(h.sent).toEqual(h.recorded);
    // 1 batch attempt + the one-at-a-time pass: 3 attempts for the poison, 1 for each other applied event.
    expect(h.calls.filter((n) => n === 1).length).toBe(3 + h.applied.length);
    expect(result.deadLettered).toBe(1 + aAfter.length);
    expect(h.committed).toBe(1);
  });

  it('an undecodable message parks its aggregate: later events of it are held, earlier ones applied', async () => {
    const messages = batchOf(interleaved).messages.map((m) => ({ ...m }));
    const poisonAt = interleaved.indexOf(a[1] ?? a[0]!);
    messages[poisonAt] = {
      ...messages[poisonAt]!,
      headers: { ...messages[poisonAt]!.headers, ce_type: Buffer.from('io.tributary.order.created.v9') },
    };
    const h = harness();
    await processBatch({ ...batchOf(interleaved), messages }, h.deps);
    const poison = interleaved[poisonAt]!;
    expect(h.recorded[0]).toMatchObject({ eventId: poison.id, aggregateId: 'order-a', parkedBehind: null });
    expect(h.recorded[0]!.reason).toMatch(/newer schema version/);
    expect(h.applied.some((e) => e.aggregateId === 'order-a' && e.version >= poison.version)).toBe(false);
    expect(h.applied.filter((e) => e.aggregateId === 'order-b')).toHaveLength(b.length);
    expect(h.recorded[0]!.value).toEqual(messages[poisonAt]!.value);
  });

  it('an aggregate parked by an earlier batch stays parked: all its events are dead-lettered', async () => {
    const h = harness({ parked: ['order-a'] });
    await processBatch(batchOf(interleaved), h.deps);
    expect(h.applied.map((e) => e.aggregateId)).not.toContain('order-a');
    expect(h.recorded.map((l) => l.eventId)).toEqual(a.map((e) => e.id));
  });

  it('a message with no key and no CloudEvent names no aggregate: it is dead-lettered and parks nothing', async () => {
    const input = batchOf(b);
    const messages = [
      { key: null, value: Buffer.from('garbage'), headers: {}, offset: '99' },
      ...input.messages,
    ];
    const h = harness();
    await processBatch({ ...input, messages }, h.deps);
    expect(h.recorded).toHaveLength(1);
    expect(h.recorded[0]).toMatchObject({ aggregateId: null, key: null, position: { offset: '99' } });
    expect(h.applied).toHaveLength(b.length);
  });
});
