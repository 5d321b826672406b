import { randomUUID } from 'node:crypto';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { interleave, randomOrderHistory } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import type { ProjectionEvent } from '../types';
import { createReportingProjection } from './projection';
import {
  expectedReports,
  readReportRows,
  reportsOnly,
  resetReportTables,
} from '../../../test/fixtures/report-rows';

/**
 * The reporting projector against the real PostgreSQL: whatever Kafka delivers (duplicates, older copies
 * after newer ones, redeliveries in later batches, two consumers at once), the reports end up equal to
 * the reports folded directly from the orders' final states.
 */

let fx: StoreFixture;
beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 12 });
});
afterAll(() => fx.close());
beforeEach(() => resetReportTables(fx.pool));

const ORDERS = 300;

function histories(seed: number, orders = ORDERS): ProjectionEvent[][] {
  const random = seededRandom(seed);
  return Array.from({ length: orders }, () => randomOrderHistory(random));
}

const finalStates = (all: ProjectionEvent[][]): OrderView[] => all.map((history) => history.at(-1)!.state);

/** Kafka-like batches of 1 to `max` events. */
function batches(random: () => number, events: ProjectionEvent[], max = 200): ProjectionEvent[][] {
  const out: ProjectionEvent[][] = [];
  for (let i = 0; i < events.length;) {
    const size = 1 + Math.floor(random() * max);
    out.push(events.slice(i, i + size));
    i += size;
  }
  return out;
}

function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function applyAll(events: ProjectionEvent[], seed: number): Promise<void> {
  const projection = createReportingProjection({ pool: fx.pool });
  for (const batch of batches(seededRandom(seed), events)) await projection.apply(batch);
}

async function appliedCount(): Promise<number> {
  const { rows } = await fx.pool.query<{ n: string }>('select count(*) as n from projection_applied_events');
  return Number(rows[0]!.n);
}

/** An event of the same order after `event`, carrying its state with `change` applied. */
function nextEvent(event: ProjectionEvent, change: Partial<OrderView>): ProjectionEvent {
  const version = event.version + 1;
  return { ...event, id: randomUUID(), version, state: { ...event.state, ...change, version } };
}

describe('the reporting projector', () => {
  it('after applying 300 random order histories in random batches, every report equals the reports folded from the final states', async () => {
    const all = histories(1);
    const events = interleave(seededRandom(2), all);
    expect(events.length).toBeGreaterThan(ORDERS * 2);

    await applyAll(events, 3);

    const rows = await readReportRows(fx.pool);
    expect(reportsOnly(rows)).toEqual(expectedReports(finalStates(all)));
    expect(rows.contributions.map((row) => [row.order_id, Number(row.version)]).sort()).toEqual(
      finalStates(all)
        .map((view) => [view.id, view.version])
        .sort(),
    );
    // Every report is non-trivial: all statuses and currencies occur.
    expect(new Set(rows.daily.map((row) => row.status))).toEqual(
      new Set(['pending', 'confirmed', 'cancelled']),
    );
    expect(new Set(rows.daily.map((row) => row.currency))).toEqual(new Set(['EUR', 'USD', 'GBP']));
    expect(rows.skus.length).toBeGreaterThan(10);
    expect(await appliedCount()).toBe(events.length);
  });

  it('delivering every event twice, in a shuffled order within each order, gives identical rows in every table to a clean delivery', async () => {
    const all = histories(4);
    await applyAll(interleave(seededRandom(5), all), 6);
    const clean = await readReportRows(fx.pool);

    await resetReportTables(fx.pool);
    const random = seededRandom(7);
    const messy = all.map((history) => shuffled(random, [...history, ...history]));
    // Redeliveries also span batches: the same event again, a batch or more later.
    await applyAll(interleave(random, messy), 8);

    expect(await readReportRows(fx.pool)).toEqual(clean);
    expect(await appliedCount()).toBe(all.flat().length);
  });

  it('a batch with events already applied in earlier batches changes nothing, even when a copy carries a different state', async () => {
    const all = histories(9, 50);
    const events = interleave(seededRandom(10), all);
    await applyAll(events, 11);
    const before = await readReportRows(fx.pool);
    const applied = await appliedCount();

    // The id alone must stop it: a tampered copy of an applied event claims a newer version.
    const tampered = {
      ...events[5]!,
      version: 99,
      state: { ...events[5]!.state, status: 'cancelled' as const, version: 99 },
    };
    const projection = createReportingProjection({ pool: fx.pool });
    await projection.apply([events[0]!, tampered, ...events.slice(-20)]);
    await projection.apply([events[7]!]);

    expect(await readReportRows(fx.pool)).toEqual(before);
    expect(await appliedCount()).toBe(applied);
  });

  it('a batch mixing applied and new events applies only the new ones', async () => {
    const all = histories(12, 40);
    const [first, second] = [all.slice(0, 20), all.slice(20)];
    await applyAll(interleave(seededRandom(13), first), 14);

    const projection = createReportingProjection({ pool: fx.pool });
    await projection.apply(shuffled(seededRandom(15), [...first.flat().slice(0, 30), ...second.flat()]));

    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
  });

  it.each([
    ['a lower-case currency', { currency: 'eur' }, 'state.currency'],
    ['an amount beyond safe integers', { totalAmount: 2 ** 53 + 2 }, 'state.totalAmount'],
    ['an unknown status', { status: 'shipped' as never }, 'state.status'],
  ])(
    'an event carrying %s throws a non-retriable input.invalid naming the event, and leaves every table untouched',
    async (_, change, field) => {
      const all = histories(16, 30);
      const events = interleave(seededRandom(17), all);
      await applyAll(events.slice(0, 40), 18);
      const before = await readReportRows(fx.pool);
      const applied = await appliedCount();

      const last = all[0]!.at(-1)!;
      const bad = nextEvent(last, change);
      const projection = createReportingProjection({ pool: fx.pool });
      const error = await projection
        .apply([...events.slice(40, 80), bad, ...events.slice(80)])
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TributaryError);
      const failure = error as TributaryError;
      expect(failure.code).toBe('input.invalid');
      expect(failure.retriable).toBe(false);
      expect(failure.message).toContain(bad.id);
      expect(failure.details).toEqual(
        expect.objectContaining({ eventId: bad.id, aggregateId: bad.aggregateId, field }),
      );
      expect(await readReportRows(fx.pool)).toEqual(before);
      expect(await appliedCount()).toBe(applied);

      // The same batch without it applies (the runtime dead-letters the poison event and goes on).
      await projection.apply(events.slice(40));
      expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
    },
  );

  it('two projector instances applying overlapping batches at once (a rebalance) still apply every effect exactly once', async () => {
    const all = histories(19);
    const events = interleave(seededRandom(20), all);
    let retries = 0;
    const consumer = async (seed: number) => {
      const projection = createReportingProjection({ pool: fx.pool });
      for (const batch of batches(seededRandom(seed), events, 100)) {
        for (;;) {
          try {
            await projection.apply(batch);
            break;
          } catch (error) {
            // What the runtime does with a retriable error (a deadlock between the two, say): try again.
            if (!(error instanceof TributaryError) || !error.retriable) throw error;
            retries++;
          }
        }
      }
    };
    await Promise.all([consumer(21), consumer(22), consumer(23)]);

    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
    expect(await appliedCount()).toBe(events.length);
    expect(retries).toBeLessThan(events.length);
  });

  it("follows the carried state when an order's customer or creation time changes: the customers it left are recomputed", async () => {
    const all = histories(24, 120);
    const random = seededRandom(25);
    const changed = all.map((history, i) => {
      if (i % 3 !== 0) return history;
      const last = history.at(-1)!;
      const moved = nextEvent(last, {
        customer:
          i % 2 === 0
            ? { id: `moved-${i % 4}`, name: `Moved ${i}`, email: `m${i}@example.com` }
            : last.state.customer,
        createdAt: new Date(Date.UTC(2026, 9, 1 + (i % 28), 7, i % 60)).toISOString(),
      });
      return [...history, moved];
    });
    await applyAll(interleave(random, changed), 26);

    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(changed)));
  });
});
