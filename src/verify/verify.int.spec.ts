import { createOrderService } from '../commands';
import type { Config } from '../config';
import { verifyCommand } from '../cli/verify';
import { ordersAlias } from '../projections/search';
import { orderTopic } from '../contracts';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import { startPipeline, type InProcessPipeline } from '../../test/fixtures/pipeline';
import { eventually } from '../../test/fixtures/relay';
import { seededRandom } from '../../test/fixtures/random';
import { orderWorkload } from '../../test/fixtures/workload';
import type { VerifyReport } from '.';

/**
 * `verify` on the whole pipeline (commands → store → relay → Kafka → both projectors): it passes on a quiet,
 * healthy pipeline, and catches each kind of damage done behind the pipeline's back.
 */
let fx: StoreFixture;
let config: Config;
let pipeline: InProcessPipeline;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 8 });
  pipeline = await startPipeline(fx, 'verify');
  config = pipeline.config;
  const workload = orderWorkload(createOrderService(config, fx.store), seededRandom(31));
  for (let i = 0; i < 400; i++) await workload.step();
  await eventually('the pipeline to be quiet and consistent', async () => (await verify()).ok, 90_000, 1_000);
});

afterAll(async () => {
  await pipeline.stop();
  await fx.close();
});

const verify = (): Promise<VerifyReport> => pipeline.verify();

async function cli(args: string[] = []): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await verifyCommand(config, args, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

const check = (report: VerifyReport, name: string) => report.checks.find((c) => c.name === name)!;

describe('verify', () => {
  it('a healthy pipeline passes: every event on Kafka, every document and report row equal to the fold', async () => {
    const report = await verify();
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(check(report, 'events → Kafka').checked).toBeGreaterThan(300);
    expect(check(report, 'search documents').checked).toBeGreaterThan(50);
    expect(check(report, 'report contributions').checked).toBe(check(report, 'search documents').checked);
    const { code, output } = await cli();
    expect(code).toBe(0);
    expect(output).toMatch(/verify: OK/);
  });

  it('a window checks only what was recorded since its start', async () => {
    const { code, output } = await cli(['--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(code).toBe(0);
    expect(output).toMatch(/events → Kafka\s+0\s/);
  });

  it('a deliberately deleted search document is reported missing, with a non-zero exit', async () => {
    const es = fx.env.elasticsearch();
    const page = await es.search({ index: ordersAlias(config.indexPrefix), size: 1 });
    const victim = page.hits.hits[0]!._id!;
    await es.delete({ index: ordersAlias(config.indexPrefix), id: victim, refresh: true });
    const { code, output } = await cli(['--checks', 'search']);
    expect(code).toBe(5);
    expect(output).toMatch(new RegExp(`search documents: missing ${victim} `));
    expect(output).toMatch(/search documents\s+\d+\s+1\s+0\s+0\s+0/);
  });

  it('a deliberately duplicated report contribution is reported duplicated, with a non-zero exit', async () => {
    const [row] = (
      await fx.pool.query<{
        order_id: string;
        day: string;
        status: string;
        currency: string;
        total_amount: string;
      }>(`select order_id, day::text, status, currency, total_amount from report_order_contributions limit 1`)
    ).rows;
    await fx.pool.query(
      `update report_daily set orders = orders + 1, revenue = revenue + $4 where day = $1 and status = $2 and currency = $3`,
      [row!.day, row!.status, row!.currency, row!.total_amount],
    );
    const { code, output } = await cli(['--checks', 'reporting']);
    expect(code).toBe(5);
    expect(output).toMatch(
      new RegExp(`report report_daily: duplicated ${row!.day} ${row!.status} ${row!.currency}`),
    );
  });

  it('a deliberately removed Kafka message is reported missing, with a non-zero exit', async () => {
    const admin = fx.env.kafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(orderTopic(config));
      const partition = offsets.find((p) => Number(p.high) > Number(p.low) + 1)!;
      // Deletes the partition's first message (records before offset low + 1).
      await admin.deleteTopicRecords({
        topic: orderTopic(config),
        partitions: [{ partition: partition.partition, offset: String(Number(partition.low) + 1) }],
      });
    } finally {
      await admin.disconnect();
    }
    const { code, output } = await cli(['--checks', 'kafka']);
    expect(code).toBe(5);
    expect(output).toMatch(/events → Kafka: missing [0-9a-f-]{36} — order-.* version \d+ is not on Kafka/);
    expect(output).toMatch(/events → Kafka\s+\d+\s+1\s/);
  });
});
