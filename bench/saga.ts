/**
 * The order-fulfilment saga under an open-loop order load: at which rate of orders/s do sagas complete
 * without falling behind, how long does an order take from confirmed to ready to ship, and what does a saga
 * cost the saga process in CPU?
 *
 * The relay, the fake payment gateway (answering after `--gateway-ms`) and the saga run as the real CLI in
 * child processes; orders are placed and confirmed straight through the order service in this process (open
 * loop: order i is due at start + i / rate, and is a CreateOrder with two lines of SKUs that have stock, then
 * its ConfirmOrder). Latency is from the ConfirmOrder's answer (its commit) to the first poll (every
 * `POLL_MS`) that sees the order's saga completed (OrderReadyToShip committed in the same transaction).
 *
 * Baseline in the same run: the load of the highest rate with no saga running (what the command side and
 * the relay alone take), then the saga started on the backlog it left (its drain rate: the most sagas/s it
 * completes when it never waits for work). Then one phase per rate, lowest first; between phases the backlog
 * drains. A phase keeps up when its backlog (confirmed orders without a terminal saga) at the end is under a
 * second's worth of orders and its latency did not grow (p50 of the last third ≤ 2 × the first third's + 50 ms).
 *
 * Run: npx tsx bench/saga.ts [--rates=25,50,100,200] [--duration=20] [--gateway-ms=20] [--baseline=10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'pg';
import { kafkaClient } from '../src/clients';
import {
  createEventStoreFor,
  createInventoryService,
  createOrderService,
  handlerSettingsOf,
} from '../src/commands';
import type { Config } from '../src/config';
import { pgExecutor, type Executor } from '../src/db/executor';
import { ensurePublication, ensureSlot } from '../src/relay';
import { deploymentTopics, ensureTopics } from '../src/setup';
import { sleep } from '../src/util';
import { processCpuSeconds } from './lib/cpu';
import { dropInactiveSlot, stopChildren } from './lib/children';
import { benchConfig, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, table } from './lib/markdown';
import { runOpenLoop, type OpenLoopResult } from './lib/open-loop';
import { givenOptions, numberListOption, numberOption } from './lib/options';
import { coresByKind, cpuSnapshot } from './lib/process-cpu';
import { summarize } from './lib/stats';

const RATES = numberListOption('rates', 'BENCH_RATES', [25, 50, 100, 200]);
const DURATION_S = numberOption('duration', 'BENCH_DURATION_S', 20);
const BASELINE_S = numberOption('baseline', 'BENCH_BASELINE_S', 5);
const GATEWAY_MS = numberOption('gateway-ms', 'BENCH_GATEWAY_MS', 20);
const DRAIN_S = numberOption('drain', 'BENCH_DRAIN_S', 60);
const SKUS = numberOption('skus', 'BENCH_SKUS', 200);
const TARGET_RATE = 200;
const POLL_MS = 20;
const SLOT = 'bench_saga';
const TERMINAL = `('completed', 'compensated', 'timed_out')`;
const log = (line: string) => process.stderr.write(`${line}\n`);

function startCli(config: Config, args: string[], env: Record<string, string>, nodeArgs = ''): ChildProcess {
  const main = join(__dirname, '..', 'src', 'cli', 'main.ts');
  const flags = nodeArgs.split(' ').filter((flag) => flag !== '');
  // node itself (not the tsx wrapper, which forks): the pid is the process doing the work.
  return spawn(process.execPath, [...flags, '--import', 'tsx', main, ...args], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, DATABASE_URL: config.databaseUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Follows orders until their saga ends; resolves each with the time (performance.now) it was seen ended. */
function endPoller(db: Executor) {
  const waiting = new Map<string, (at: number) => void>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const ids = [...waiting.keys()].slice(0, 20_000);
      if (ids.length > 0) {
        const rows = await db.query<{ order_id: string }>(
          `select order_id from sagas where order_id = any($1::text[]) and state in ${TERMINAL}`,
          [ids],
        );
        const now = performance.now();
        for (const { order_id: id } of rows) {
          waiting.get(id)?.(now);
          waiting.delete(id);
        }
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    follow: (id: string) => new Promise<number>((resolve) => waiting.set(id, resolve)),
    get pending() {
      return waiting.size;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface Phase {
  rate: number;
  load: OpenLoopResult;
  /** Confirm → saga ended, ms, by the order's due time (ascending). */
  latencies: { due: number; ms: number }[];
  backlogAtEnd: number;
  maxBacklog: number;
  /** At the largest backlog: confirmed orders the consumer had not started a saga for, sagas not ended. */
  split: { unstarted: number; running: number };
  drainedS: number;
  sagaCpuS: number;
  sagas: number;
  cores: [string, number][];
}

/** A loopback port free right now (for the gateway child). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const gatewayUrl = `http://127.0.0.1:${await freePort()}`;
  const gatewayKey = randomBytes(18).toString('base64url');
  const config = benchConfig('bench_saga', {
    TOPIC_PREFIX: `bench-${run}.`,
    PAYMENT_GATEWAY_URL: gatewayUrl,
    PAYMENT_GATEWAY_KEY: gatewayKey,
  });
  await freshDatabase(config);
  const facts = await collectFacts(config, [
    [
      'bench',
      `saga: rates ${RATES.join(', ')} orders/s, ${DURATION_S} s each, gateway answers in ${GATEWAY_MS} ms`,
    ],
    [
      'saga settings',
      `SAGA_CAPTURE_CONCURRENCY ${config.sagaCaptureConcurrency}, SAGA_POLL_MS ${config.sagaPollMs}, ` +
        `SAGA_PARTITIONS_CONCURRENCY ${(config as Partial<Config>).sagaPartitionsConcurrency ?? 'none (the projectors’ 3)'}, ` +
        `KAFKA_TOPIC_PARTITIONS ${config.kafkaTopicPartitions}`,
    ],
  ]);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 30 });
  const db = pgExecutor(pool);
  await db.query(`select pg_drop_replication_slot($1) from pg_replication_slots where slot_name = $1`, [
    SLOT,
  ]);
  await ensurePublication(db, config.relayPublication, 'outbox');
  await ensureSlot(db, SLOT);
  const kafka = kafkaClient(config, { clientId: 'bench-setup' });
  await ensureTopics(kafka, await deploymentTopics(config, db), config.kafkaTopicPartitions);
  const childEnv = {
    TOPIC_PREFIX: config.topicPrefix,
    RELAY_SLOT: SLOT,
    RELAY_METRICS_PORT: '0',
    SAGA_METRICS_PORT: '0',
    PAYMENT_GATEWAY_URL: gatewayUrl,
    PAYMENT_GATEWAY_KEY: gatewayKey,
  };
  const children: ChildProcess[] = [
    startCli(config, ['relay'], childEnv),
    startCli(config, ['gateway', `--slow-ms=${GATEWAY_MS}`], childEnv),
  ];
  const store = createEventStoreFor(config, pool);
  const orders = createOrderService(config, store);
  const inventory = createInventoryService(handlerSettingsOf(config, store));
  const at = () => new Date().toISOString();
  const poller = endPoller(db);
  let confirmed = 0;
  let current: { latencies: { due: number; ms: number }[] } | undefined;
  const skus = Array.from({ length: SKUS }, (_, i) => `bench-sku-${i}`);
  try {
    log(`stock: ${SKUS} SKUs`);
    for (const sku of skus) {
      await inventory.executeInventory({ type: 'RestockInventory', sku, quantity: 100_000_000, at: at() });
    }
    // One order: created with two lines of different SKUs, then confirmed; followed until its saga ends.
    const order = async (i: number, due: number): Promise<string> => {
      const orderId = `o-${run}-${i}`;
      const a = skus[(i * 7) % skus.length]!;
      const b = skus[(i * 13 + 1) % skus.length]!;
      await orders.executeOrder({
        type: 'CreateOrder',
        orderId,
        customer: { id: `c-${i % 500}`, name: `Customer ${i % 500}`, email: `c${i % 500}@example.com` },
        lines: [
          { sku: a, name: `item ${a}`, quantity: 1, unitPrice: 1_000 },
          ...(a === b ? [] : [{ sku: b, name: `item ${b}`, quantity: 2, unitPrice: 250 }]),
        ],
        currency: 'EUR',
        at: at(),
      });
      await orders.executeOrder({ type: 'ConfirmOrder', orderId, at: at() });
      const committed = performance.now();
      confirmed++;
      const into = current;
      void poller.follow(orderId).then((seen) => into?.latencies.push({ due, ms: seen - committed }));
      return 'order';
    };
    let numbered = 0;
    const load = async (rate: number, seconds: number) => {
      const first = numbered;
      const start = performance.now();
      const result = await runOpenLoop({
        ratePerSecond: rate,
        durationMs: seconds * 1000,
        drainTimeoutMs: 30_000,
        maxInFlight: 2_000,
        operation: (i) => order(first + i, (performance.now() - start) / 1000),
      });
      numbered += result.scheduled;
      return result;
    };
    const ended = async () =>
      Number(
        (await db.query<{ n: string }>(`select count(*) as n from sagas where state in ${TERMINAL}`))[0]!.n,
      );

    // Baseline: the highest rate's load with no saga running.
    const top = Math.max(...RATES);
    log(`baseline: ${top} orders/s for ${BASELINE_S} s, no saga running`);
    current = undefined;
    const baseCpu = cpuSnapshot();
    const baseStart = performance.now();
    const baseline = await load(top, BASELINE_S);
    const baseCores = coresByKind(baseCpu, cpuSnapshot(), (performance.now() - baseStart) / 1000);

    log('saga: started on the baseline backlog');
    const saga = startCli(
      config,
      ['saga'],
      { ...childEnv, PROJECTOR_GROUP_PREFIX: `bench-${run}-` },
      process.env.BENCH_SAGA_NODE_ARGS ?? '',
    );
    children.push(saga);
    const cpuOfSaga = () => processCpuSeconds(saga.pid!) ?? Number.NaN;
    const drainStart = performance.now();
    const drainCpu0 = cpuOfSaga();
    let firstEnded = 0;
    let firstEndedAt = 0;
    while ((await ended()) < confirmed && performance.now() - drainStart < 3 * DRAIN_S * 1000) {
      const n = await ended();
      if (n > 0 && firstEnded === 0) {
        firstEnded = n;
        firstEndedAt = performance.now();
      }
      await sleep(100);
    }
    const drainEnd = performance.now();
    const drained = await ended();
    const drainRate = (drained - firstEnded) / ((drainEnd - (firstEndedAt || drainStart)) / 1000);
    const drainCpuPerSaga = (cpuOfSaga() - drainCpu0) / Math.max(1, drained);
    log(`drain: ${drained} of ${confirmed} ended, ${drainRate.toFixed(0)} sagas/s once started`);

    const phases: Phase[] = [];
    for (const rate of RATES) {
      log(`phase: ${rate} orders/s for ${DURATION_S} s`);
      const latencies: { due: number; ms: number }[] = [];
      current = { latencies };
      const cpu0 = cpuOfSaga();
      const ended0 = await ended();
      const snap0 = cpuSnapshot();
      const t0 = performance.now();
      let maxBacklog = 0;
      let split = { unstarted: 0, running: 0 };
      const watching = { on: true };
      const watcher = (async () => {
        while (watching.on) {
          const now = await backlogSplit(db, confirmed);
          if (now.unstarted + now.running >= maxBacklog) {
            maxBacklog = now.unstarted + now.running;
            split = now;
          }
          await sleep(500);
        }
      })();
      const result = await load(rate, DURATION_S);
      const cores = coresByKind(snap0, cpuSnapshot(), (performance.now() - t0) / 1000);
      watching.on = false;
      await watcher;
      const backlogAtEnd = confirmed - (await ended());
      const d0 = performance.now();
      while (confirmed - (await ended()) > 0 && performance.now() - d0 < DRAIN_S * 1000) await sleep(100);
      const drainedS = (performance.now() - d0) / 1000;
      await sleep(2 * POLL_MS + 50);
      const sagas = (await ended()) - ended0;
      const phase: Phase = {
        rate,
        load: result,
        latencies,
        backlogAtEnd,
        maxBacklog,
        split,
        drainedS,
        sagaCpuS: cpuOfSaga() - cpu0,
        sagas,
        cores,
      };
      phases.push(phase);
      const s = summarize(latencies.map((l) => l.ms));
      log(
        `  ${int(result.achievedPerSecond)}/s placed; backlog at end ${backlogAtEnd} (max ${maxBacklog}); ` +
          `p50 ${ms(s.p50)} p99 ${ms(s.p99)} ms; ${((phase.sagaCpuS / Math.max(1, sagas)) * 1000).toFixed(1)} ms CPU/saga; ` +
          `keeps up: ${keepsUp(phase)}`,
      );
      if (!keepsUp(phase)) break; // higher rates fall behind too
    }
    current = undefined;
    await poller.stop();
    process.stdout.write(report(facts, baseline, baseCores, { drained, drainRate, drainCpuPerSaga }, phases));
  } finally {
    await poller.stop().catch(() => undefined);
    await stopChildren(children, 15_000);
    await dropInactiveSlot(db, SLOT);
    await pool.end();
  }
}

/** Where the backlog waits: not yet started by the consumer, or started (reserving, capturing) and not ended. */
async function backlogSplit(
  db: Executor,
  confirmed: number,
): Promise<{ unstarted: number; running: number }> {
  const [row] = await db.query<{ all: string; running: string }>(
    `select count(*) as all, count(*) filter (where state not in ${TERMINAL}) as running from sagas`,
  );
  return { unstarted: confirmed - Number(row!.all), running: Number(row!.running) };
}

/** Median of the latencies of the orders due in [from, to) of the phase (fractions of its duration). */
function p50Between(phase: Phase, from: number, to: number): number {
  const window = phase.latencies.filter((l) => l.due >= from * DURATION_S && l.due < to * DURATION_S);
  return summarize(window.map((l) => l.ms)).p50;
}

function keepsUp(phase: Phase): boolean {
  const first = p50Between(phase, 0, 1 / 3);
  const last = p50Between(phase, 2 / 3, 1);
  return (
    phase.backlogAtEnd <= Math.max(5, phase.rate) &&
    last <= 2 * first + 50 &&
    phase.load.achievedPerSecond >= phase.rate * 0.95
  );
}

function report(
  facts: Awaited<ReturnType<typeof collectFacts>>,
  baseline: OpenLoopResult,
  baseCores: [string, number][],
  drain: { drained: number; drainRate: number; drainCpuPerSaga: number },
  phases: Phase[],
): string {
  const best = [...phases].reverse().find(keepsUp);
  const half = best && phases.find((p) => p.rate === best.rate / 2);
  const p99 = (p?: Phase) => (p ? `${ms(summarize(p.latencies.map((l) => l.ms)).p99)} ms` : 'n/a');
  const cpuPerSaga = (p: Phase) => `${((p.sagaCpuS / Math.max(1, p.sagas)) * 1000).toFixed(1)}`;
  const cores = (list: [string, number][]) => list.map(([kind, n]) => `${kind} ${n.toFixed(2)}`).join(', ');
  const rows = phases.map((p) => {
    const s = summarize(p.latencies.map((l) => l.ms));
    return [
      int(p.rate),
      int(p.load.achievedPerSecond),
      `${int(p.backlogAtEnd)} (max ${int(p.maxBacklog)}: ${int(p.split.unstarted)} + ${int(p.split.running)})`,
      p.drainedS.toFixed(1),
      ms(s.p50),
      ms(s.p99),
      `${ms(p50Between(p, 0, 1 / 3))} → ${ms(p50Between(p, 2 / 3, 1))}`,
      cpuPerSaga(p),
      keepsUp(p) ? 'yes' : 'NO',
    ];
  });
  const command = ['npx tsx bench/saga.ts', ...givenOptions()].join(' ');
  const baseSummary = summarize(baseline.latenciesMs);
  return [
    `### Fulfilment saga: orders/s it keeps up with, confirm → ready to ship`,
    '',
    `Reproduce: \`${command}\``,
    '',
    factsMarkdown(facts),
    '',
    `Baseline, no saga running: ${int(baseline.scheduled)} orders (create + confirm) offered at ${int(Math.max(...RATES))}/s, ` +
      `${int(baseline.achievedPerSecond)}/s placed, ${int(baseline.failed)} failed, order (two commands) p99 ${ms(baseSummary.p99)} ms; ` +
      `cores: ${cores(baseCores)}.`,
    '',
    `Saga started on that backlog: ${int(drain.drained)} sagas ended at ${int(drain.drainRate)}/s once the first ended ` +
      `(its most sagas/s with work always waiting), ${(drain.drainCpuPerSaga * 1000).toFixed(1)} ms of saga-process CPU per saga.`,
    '',
    table(
      [
        'offered /s',
        'placed /s',
        'backlog at end',
        'drain s',
        'p50 ms',
        'p99 ms',
        'p50 first → last third',
        'saga CPU ms/saga',
        'keeps up',
      ],
      rows,
    ),
    '',
    `Backlog: confirmed orders without an ended saga; the largest is split into not yet started by the consumer + started and not ended (mostly waiting for a capture worker).`,
    '',
    `Cores by process during each phase: ${phases.map((p) => `${p.rate}/s: ${cores(p.cores)}`).join('; ')}.`,
    '',
    table(
      ['target', 'measured', 'result'],
      [
        [
          `keeps up with ≥ ${TARGET_RATE} orders/s`,
          best
            ? `keeps up at ${best.rate}/s (p99 ${p99(best)}; at ${best.rate / 2}/s p99 ${p99(half)})`
            : 'keeps up at none',
          best && best.rate >= TARGET_RATE ? 'met' : 'NOT met',
        ],
      ],
    ),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/saga: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
