import { sleep } from '../../util';
import type { Pool } from 'pg';
import { pgExecutor, withTransaction } from '../../db/executor';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { interleave, randomOrderHistory } from '../../../test/fixtures/projection-events';
import { seededRandom } from '../../../test/fixtures/random';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import type { ProjectionEvent } from '../types';
import { applyReportingEvents } from './apply';
import { createReportingProjection } from './projection';
import { dailyReport } from './queries/daily-report';
import { customerReport } from './queries/customer-report';
import { topSkus } from './queries/top-skus';
import { catchUpReportingShadow } from './rebuild/catch-up-shadow';
import { createReportingShadow, dropReportingShadow } from './rebuild/create-shadow';
import { fillReportingShadow } from './rebuild/fill-shadow';
import { finishReportingShadow } from './rebuild/finish-shadow';
import { swapReportingTables } from './rebuild/swap-tables';
import {
  expectedReports,
  readReportRows,
  reportsOnly,
  resetReportTables,
} from '../../../test/fixtures/report-rows';

/**
 * Zero-downtime rebuild of the reports with shadow tables and a swap, against the real PostgreSQL: the
 * live projector keeps writing and readers keep reading throughout, and the result equals a clean apply.
 */

let fx: StoreFixture;
beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 12 });
});
afterAll(() => fx.close());
beforeEach(async () => {
  await dropReportingShadow(pgExecutor(fx.pool));
  await resetReportTables(fx.pool);
});

const MONTH = { from: '2026-11-01', to: '2026-11-30' };

function histories(seed: number, orders: number): ProjectionEvent[][] {
  const random = seededRandom(seed);
  return Array.from({ length: orders }, () => randomOrderHistory(random));
}

const finalStates = (all: ProjectionEvent[][]): OrderView[] => all.map((history) => history.at(-1)!.state);

function pages<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/** What a rebuild reads from the store: some orders ahead of Kafka, some behind, some not yet there. */
function storeViews(random: () => number, all: ProjectionEvent[][]): OrderView[] {
  return all.flatMap((history) =>
    random() < 0.1 ? [] : [history[Math.floor(random() * history.length)]!.state],
  );
}

async function rebuild(pool: Pool, views: readonly OrderView[], pageSize = 50): Promise<void> {
  const executor = pgExecutor(pool);
  await createReportingShadow(executor);
  for (const page of pages(views, pageSize)) await fillReportingShadow(executor, page);
  await finishReportingShadow(executor);
  await catchUpReportingShadow(executor);
  await swapReportingTables(pool);
}

/** Index and constraint names, and table storage parameters, of the report tables. */
async function schemaNames(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `select c.conname::text as name from pg_constraint c join pg_class t on t.oid = c.conrelid
      where t.relname like 'report\\_%'
     union
     select indexname::text from pg_indexes where tablename like 'report\\_%'
     union
     select relname || ' ' || array_to_string(reloptions, ',') from pg_class
      where relname like 'report\\_%' and reloptions is not null
     order by 1`,
  );
  return rows.map((row) => row.name);
}

describe('rebuilding the reports with shadow tables', () => {
  it('a rebuild while the live projector keeps applying ends equal to a clean apply, and a reader polling throughout never sees an error, an empty report or orders going back', async () => {
    const all = histories(31, 300);
    const events = interleave(seededRandom(32), all);
    const split = Math.floor(events.length * 0.4);
    const projection = createReportingProjection({ pool: fx.pool });
    await projection.apply(events.slice(0, split));
    const knownCustomer = events[0]!.state.customer.id;

    // The reader: every report, again and again, through pooled connections (prepared statements).
    let reading = true;
    const seen = { polls: 0, lastTotal: 0, errors: [] as unknown[], problems: [] as string[] };
    const reader = (async () => {
      const executor = pgExecutor(fx.pool);
      while (reading) {
        try {
          const [daily, skus, customer] = await Promise.all([
            dailyReport(executor, MONTH),
            topSkus(executor, { limit: 10, by: 'quantity' }),
            customerReport(executor, knownCustomer),
          ]);
          const total = daily.reduce((sum, row) => sum + row.orders, 0);
          if (daily.length === 0 || skus.length === 0 || customer === null)
            seen.problems.push('an empty report');
          if (total < seen.lastTotal)
            seen.problems.push(`orders went back from ${seen.lastTotal} to ${total}`);
          seen.lastTotal = total;
          seen.polls++;
        } catch (error) {
          seen.errors.push(error);
          return;
        }
      }
    })();

    // The live projector: the rest of the events, in small batches, paced to outlast the rebuild.
    const progress = { batches: 0, done: false, error: undefined as unknown };
    const live = (async () => {
      try {
        for (const batch of pages(events.slice(split), 15)) {
          await projection.apply(batch);
          progress.batches++;
          await sleep(15);
        }
      } catch (error) {
        progress.error = error;
      } finally {
        progress.done = true;
      }
    })();

    const rebuildMeanwhile = async () => {
      while (progress.batches < 5 && !progress.done) await sleep(5);
      const pollsBefore = seen.polls;
      const random = seededRandom(33);
      const views = storeViews(random, all);
      const executor = pgExecutor(fx.pool);
      await createReportingShadow(executor);
      for (const page of pages(views, 40)) {
        await fillReportingShadow(executor, page);
        await sleep(5);
      }
      // Overlapping pages with older (or the same) states change nothing.
      const filled = new Set(views.map((view) => view.id));
      const older = all
        .filter((history) => filled.has(history[0]!.aggregateId))
        .map((history) => history[0]!.state);
      expect(await fillReportingShadow(executor, older)).toBe(0);
      await finishReportingShadow(executor);
      const early = await catchUpReportingShadow(executor);
      const batchesBeforeSwap = progress.batches;
      const { caughtUp } = await swapReportingTables(fx.pool);
      return {
        caughtUp: early + caughtUp,
        batchesBeforeSwap,
        liveDoneAtSwap: progress.done,
        pollsDuringRebuild: seen.polls - pollsBefore,
      };
    };
    let outcome;
    try {
      outcome = await rebuildMeanwhile();
    } finally {
      await live;
      await sleep(50);
      reading = false;
      await reader;
    }

    expect(progress.error).toBeUndefined();
    expect(seen.errors).toEqual([]);
    expect(seen.problems).toEqual([]);
    expect(outcome.pollsDuringRebuild).toBeGreaterThan(10);
    // The live projector wrote while the shadow was built, and went on after the swap.
    expect(outcome.batchesBeforeSwap).toBeGreaterThan(5);
    expect(outcome.liveDoneAtSwap).toBe(false);
    expect(outcome.caughtUp).toBeGreaterThan(0);

    const rows = await readReportRows(fx.pool);
    expect(reportsOnly(rows)).toEqual(expectedReports(finalStates(all)));
    expect(rows.contributions.map((row) => [row.order_id, Number(row.version)]).sort()).toEqual(
      finalStates(all)
        .map((view) => [view.id, view.version])
        .sort(),
    );
  });

  it('the swap takes over what the live projector applied after the shadow was filled', async () => {
    const all = histories(34, 80);
    const events = interleave(seededRandom(35), all);
    const projection = createReportingProjection({ pool: fx.pool });
    await projection.apply(events.slice(0, 100));
    // The store as read before the rest was applied: exactly what live held then.
    const executor = pgExecutor(fx.pool);
    await createReportingShadow(executor);
    const early = new Map(events.slice(0, 100).map((event) => [event.aggregateId, event.state]));
    await fillReportingShadow(executor, [...early.values()]);
    await finishReportingShadow(executor);
    await projection.apply(events.slice(100));

    const { caughtUp } = await swapReportingTables(fx.pool);

    expect(caughtUp).toBeGreaterThan(0);
    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
  });

  it('a statement prepared on a connection before the swap keeps working after it, reading and writing the new tables', async () => {
    const all = histories(36, 60);
    const events = interleave(seededRandom(37), all);
    const client = await fx.env.pg();
    const mine = pgExecutor(client);
    const inTransaction = async (batch: ProjectionEvent[]) => {
      await client.query('begin');
      await applyReportingEvents(mine, batch);
      await client.query('commit');
    };
    await inTransaction(events.slice(0, 50));
    const before = await dailyReport(mine, MONTH);
    const prepared = async () =>
      (
        await client.query<{ name: string; prepare_time: Date }>(
          `select name, prepare_time from pg_prepared_statements order by name`,
        )
      ).rows.map((row) => `${row.name} ${row.prepare_time.toISOString()}`);
    const preparedBefore = await prepared();
    expect(preparedBefore.length).toBeGreaterThan(5);

    // Rebuild from the final states (other connections): the new tables differ from the old ones.
    await rebuild(fx.pool, finalStates(all.slice(0, 30)));
    const after = await dailyReport(mine, MONTH);
    expect(after).not.toEqual(before);
    expect(after).toEqual(await dailyReport(pgExecutor(fx.pool), MONTH));

    // The projector's statements, prepared on this connection before the swap, now write the new tables.
    await inTransaction(events.slice(50));
    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
    // The very same prepared statements were used (none was prepared again).
    expect(await prepared()).toEqual(expect.arrayContaining(preparedBefore));
  });

  it("a rebuild's statements prepared on a connection write the next shadow after a swap, never the live tables they became", async () => {
    const all = histories(43, 40);
    const client = await fx.env.pg();
    const mine = pgExecutor(client);
    const build = async (views: OrderView[]) => {
      await createReportingShadow(mine);
      await fillReportingShadow(mine, views);
      await finishReportingShadow(mine);
    };
    await build(finalStates(all.slice(0, 20)));
    await swapReportingTables(fx.pool);
    const live = await readReportRows(fx.pool);

    // Same connection, same prepared statements: the shadow tables they named are live tables now.
    await build(finalStates(all.slice(20)));

    expect(await readReportRows(fx.pool)).toEqual(live);
    const shadow = await fx.pool.query<{ n: string }>(
      'select count(*)::text as n from report_order_contributions_next',
    );
    expect(Number(shadow.rows[0]!.n)).toBe(20);
  });

  it('every rebuild leaves the index and constraint names and storage parameters the migration gave, so the next rebuild works the same', async () => {
    const names = await schemaNames(fx.pool);
    expect(names).toContain('report_daily_pkey');
    expect(names).toContain('report_order_contributions_customer');
    expect(names).toContain('report_daily fillfactor=80');
    const all = histories(38, 40);
    await createReportingProjection({ pool: fx.pool }).apply(all.flat());

    await rebuild(fx.pool, finalStates(all));
    expect(await schemaNames(fx.pool)).toEqual(names);
    await rebuild(fx.pool, finalStates(all));
    expect(await schemaNames(fx.pool)).toEqual(names);
    expect(reportsOnly(await readReportRows(fx.pool))).toEqual(expectedReports(finalStates(all)));
  });

  it('a rebuild from the same orders gives the rows the live projector built, to the byte', async () => {
    const all = histories(39, 200);
    await createReportingProjection({ pool: fx.pool }).apply(interleave(seededRandom(40), all));
    const live = await readReportRows(fx.pool);

    await rebuild(fx.pool, finalStates(all), 37);

    expect(await readReportRows(fx.pool)).toEqual(live);
  });

  it('the swap refuses a shadow that was filled but not finished, and changes nothing', async () => {
    const all = histories(41, 20);
    await createReportingProjection({ pool: fx.pool }).apply(all.flat());
    const before = await readReportRows(fx.pool);
    await createReportingShadow(pgExecutor(fx.pool));
    await fillReportingShadow(pgExecutor(fx.pool), finalStates(all));

    const error = await swapReportingTables(fx.pool).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).message).toMatch(/finishReportingShadow/);
    expect(await readReportRows(fx.pool)).toEqual(before);
  });

  it('a view the reports cannot use fails the fill with input.invalid naming the order', async () => {
    await createReportingShadow(pgExecutor(fx.pool));
    const view = { ...histories(42, 1)[0]!.at(-1)!.state, currency: 'euro' };
    const error = await withTransaction(fx.pool, (executor) => fillReportingShadow(executor, [view])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('input.invalid');
    expect((error as TributaryError).message).toContain(view.id);
  });
});
