import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { Config } from '../src/config';
import { createEventStoreFor, createOrderService } from '../src/commands';
import { pgExecutor } from '../src/db/executor';
import { withSessionOptions } from '../src/db/pool';
import { Server, startServer, stopServer } from './lib/api-server';
import { BENCH_AUTH_MODES, prepareBenchAuth, type BenchAuth, type BenchAuthMode } from './lib/auth';
import { CpuReport, watchCpu } from './lib/cpu';
import { benchConfig, checkpoint, freshDatabase, openBackendLister } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, pct, table } from './lib/markdown';

const markdownTable = table;
import { choiceOption, givenOptions, listOption, numberListOption, numberOption } from './lib/options';
import { OpenLoopResult, runOpenLoop } from './lib/open-loop';
import { OrderSessions } from './lib/order-flow';
import { summarize } from './lib/stats';
import { directTransport, httpTransport, Transport } from './lib/transports';

/**
 * Command latency under a fixed arrival rate: an open-loop generator (bench/lib/open-loop.ts) offers
 * `--rates` commands per second of a realistic order mix (bench/lib/order-flow.ts) for `--duration` seconds,
 * after a warm-up, and reports latency from the moment each command was due. Over HTTP to the API
 * (src/api, in its own process) when it exists, otherwise by calling the service directly. A baseline at
 * the same rate through the same path, in the same run, shows the floor the machine sets. Over HTTP, each
 * `--auth` mode gets its own API process, warm-up and phases, and the CPU each command cost is reported side
 * by side (authentication off, a bearer token, an API key).
 *
 *   npx tsx bench/commands.ts [--rates=1000] [--duration=30] [--warmup=5] [--baseline=10] [--think=100]
 *                             [--transport=auto|http|direct] [--pool=10] [--log-level=silent]
 *                             [--auth=off,jwt] (any of off, jwt, apikey; repeats allowed: off,jwt,off,jwt)
 */

const DATABASE = 'bench_commands';
const TARGET_P99_MS = 20;
const MAX_IN_FLIGHT = 10_000;

const rates = numberListOption('rates', 'BENCH_RATES', [1000]);
const durationS = numberOption('duration', 'BENCH_DURATION_S', 30);
const warmupS = numberOption('warmup', 'BENCH_WARMUP_S', 5);
const baselineS = numberOption('baseline', 'BENCH_BASELINE_S', 10);
const thinkMs = numberOption('think', 'BENCH_THINK_MS', 100);
const poolSize = numberOption('pool', 'BENCH_POOL', 10);
const drainMs = numberOption('drain', 'BENCH_DRAIN_MS', 10_000);
const logLevel = choiceOption(
  'log-level',
  'BENCH_LOG_LEVEL',
  ['silent', 'fatal', 'error', 'warn', 'info', 'debug'] as const,
  'silent',
);
const transportChoice = choiceOption(
  'transport',
  'BENCH_TRANSPORT',
  ['auto', 'http', 'direct'] as const,
  'auto',
);

const authModes = listOption('auth', 'BENCH_AUTH', BENCH_AUTH_MODES, ['off', 'jwt']);
/** CPU per command with authentication may exceed that without it by this much (issue 17). */
const AUTH_CPU_TARGET = 0.1;

const log = (line: string) => process.stderr.write(`[bench:commands] ${line}\n`);
const ROOT = join(__dirname, '..');

/** HTTP when the API exists and answers a real command; the service in-process otherwise (with why). */
async function chooseTransport(
  config: Config,
  pool: Pool,
  auth: BenchAuth,
): Promise<{ transport: Transport; server?: Server; why: string }> {
  const direct = () => directTransport(createOrderService(config, createEventStoreFor(config, pool)), pool);
  const apiExists = existsSync(join(ROOT, 'src', 'api', 'index.ts'));
  if (transportChoice === 'direct') return { transport: direct(), why: 'chosen with --transport=direct' };
  if (!apiExists) {
    if (transportChoice === 'http') throw new Error('--transport=http but src/api/index.ts does not exist');
    return { transport: direct(), why: 'src/api/index.ts does not exist yet' };
  }
  let server: Server | undefined;
  let transport: Transport;
  try {
    ({ server, transport } = await httpServer(config, auth, authModes[0]!));
    const probe = new OrderSessions(`probe-${randomBytes(3).toString('hex')}`, 0, 7);
    const { step } = probe.take();
    await transport.execute(step); // a real CreateOrder must succeed before we measure anything
    return {
      transport,
      server,
      why: `API at ${server.address} (src/api buildApp in its own process, LOG_LEVEL=${logLevel})`,
    };
  } catch (error) {
    stopServer(server);
    if (transportChoice === 'http') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    log(`the API did not work (${reason}); calling the service directly`);
    return { transport: direct(), why: `the API exists but did not work: ${reason}` };
  }
}

/** The API in its own process with authentication `mode`, and a client sending that mode's credential. */
async function httpServer(
  config: Config,
  auth: BenchAuth,
  mode: BenchAuthMode,
): Promise<{ server: Server; transport: Transport }> {
  const server = await startServer(config, poolSize, logLevel, auth.env(mode));
  return { server, transport: httpTransport(server.address, auth.headers(mode)) };
}

interface Phase {
  name: string;
  /** Authentication of the API process (HTTP only). */
  auth?: BenchAuthMode;
  rate: number;
  seconds: number;
  result: OpenLoopResult;
  cpu: CpuReport;
}

const errorsOf = (result: OpenLoopResult) =>
  [...result.errors]
    .sort(([, a], [, b]) => b - a)
    .slice(0, 5)
    .map(([name, count]) => `${count}× ${name}`)
    .join('; ') || 'none';

function phaseRow(p: Phase, what: string): (string | number)[] {
  const s = summarize(p.result.latenciesMs);
  const cores = (n: number) => (Number.isNaN(n) ? '–' : n.toFixed(2));
  return [
    p.name,
    what,
    `${int(p.rate)}/s × ${p.seconds} s`,
    int(p.result.achievedPerSecond),
    int(p.result.failed + p.result.dropped + p.result.timedOut),
    ms(s.p50),
    ms(s.p95),
    ms(s.p99),
    ms(s.max),
    pct(p.cpu.machineBusy),
    cores(p.cpu.clientCores),
    cores(p.cpu.appCores),
    cores(p.cpu.serverCores),
  ];
}

/** How much of a phase missed the target: the commands slower than it, and the seconds whose p99 was. */
function overTarget(result: OpenLoopResult): string {
  const slow = result.latenciesMs.filter((latency) => latency >= TARGET_P99_MS).length;
  const seconds = result.latenciesBySecond.filter((samples) => (samples?.length ?? 0) > 0);
  const slowSeconds = seconds.filter((samples) => summarize(samples).p99 >= TARGET_P99_MS).length;
  return (
    `${pct(slow / Math.max(1, result.latenciesMs.length))} of commands took ${TARGET_P99_MS} ms or more; ` +
    `${slowSeconds} of ${seconds.length} seconds had a p99 of ${TARGET_P99_MS} ms or more`
  );
}

/** The three seconds of a phase with the highest p99, in schedule order; shows whether a tail is one stall. */
function slowestSeconds(result: OpenLoopResult): string {
  const seconds = result.latenciesBySecond
    .map((samples, second) => ({ second, s: summarize(samples ?? []) }))
    .filter(({ s }) => s.count > 0);
  return (
    [...seconds]
      .sort((a, b) => b.s.p99 - a.s.p99)
      .slice(0, 3)
      .sort((a, b) => a.second - b.second)
      .map(({ second, s }) => `${second}: ${ms(s.p99)} / ${ms(s.max)}`)
      .join(', ') || 'none'
  );
}

const authLabel = (p: Phase) => (p.auth === undefined ? '' : `, auth ${p.auth}`);

/**
 * Milliseconds of CPU per successful command, by authentication mode, from the same run: the API process
 * and the PostgreSQL backends (the generator is the same in every mode). Each mode against the `off` phase at
 * the same rate that ran last before it (or first after it), so `--auth=off,jwt,off,jwt` compares neighbours.
 */
function cpuPerCommand(measured: Phase[]): { table: string; verdicts: string[][] } {
  const perCommand = (cores: number, p: Phase) => (cores * 1000) / Math.max(1, p.result.achievedPerSecond);
  const total = (p: Phase) => perCommand(p.cpu.appCores, p) + perCommand(p.cpu.serverCores, p);
  const offs = (p: Phase) => measured.filter((o) => o.auth === 'off' && o.rate === p.rate);
  const off = (p: Phase) =>
    offs(p)
      .filter((o) => measured.indexOf(o) < measured.indexOf(p))
      .at(-1) ?? offs(p)[0];
  const versus = (p: Phase) => {
    const base = off(p);
    return base === undefined || base === p ? undefined : total(p) / total(base) - 1;
  };
  const signed = (share: number | undefined) =>
    share === undefined ? '–' : `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}%`;
  const rows = measured.map((p) => [
    p.auth ?? '–',
    `${int(p.rate)}/s`,
    int(p.result.achievedPerSecond),
    perCommand(p.cpu.appCores, p).toFixed(3),
    perCommand(p.cpu.serverCores, p).toFixed(3),
    total(p).toFixed(3),
    signed(versus(p)),
  ]);
  const verdicts = measured
    .filter((p) => p.auth !== 'off' && versus(p) !== undefined)
    .map((p) => [
      `auth ${p.auth}: CPU per command < ${AUTH_CPU_TARGET * 100}% over auth off at ${int(p.rate)}/s`,
      `${total(p).toFixed(3)} vs ${total(off(p)!).toFixed(3)} ms (${signed(versus(p))})`,
      versus(p)! < AUTH_CPU_TARGET ? 'met' : 'NOT met',
    ]);
  const table = [
    'CPU per command (API process + PostgreSQL backends, ms of CPU per successful command):',
    '',
    markdownTable(['auth', 'offered', 'achieved /s', 'API ms', 'PostgreSQL ms', 'total ms', 'vs off'], rows),
    '',
  ].join('\n');
  return { table, verdicts };
}

function report(phases: Phase[], transport: Transport, why: string, facts: string, ordersCreated: number) {
  const baseline = phases.find((p) => p.name === 'baseline')!;
  const measured = phases.filter((p) => p.name === 'commands');
  const command = ['npx tsx bench/commands.ts', ...givenOptions()].join(' ');
  const baselineP99 = summarize(baseline.result.latenciesMs).p99;
  const cpu = cpuPerCommand(measured);
  const perKind = measured.flatMap((p) => [
    `Over the target at ${int(p.rate)}/s${authLabel(p)}: ${overTarget(p.result)}. ` +
      `Slowest seconds (second of the schedule: p99 / max ms): ${slowestSeconds(p.result)}.`,
    '',
    `Per command at ${int(p.rate)}/s${authLabel(p)} (errors: ${errorsOf(p.result)}; dropped ${p.result.dropped}, timed out ${p.result.timedOut}; ` +
      `generator send lag p99 ${ms(summarize(p.result.sendLagMs).p99)} ms):`,
    '',
    table(
      ['command', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [...p.result.byKind]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, samples]) => {
          const s = summarize(samples);
          return [kind, int(s.count), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
        }),
    ),
    '',
  ]);
  const verdicts = measured.map((p) => {
    const s = summarize(p.result.latenciesMs);
    const met = s.p99 < TARGET_P99_MS && p.result.achievedPerSecond >= p.rate * 0.98;
    return [
      `p99 < ${TARGET_P99_MS} ms at ${int(p.rate)}/s${authLabel(p)}`,
      `p99 ${ms(s.p99)} ms, ${int(p.result.achievedPerSecond)}/s achieved (baseline p99 ${ms(baselineP99)} ms)`,
      met ? 'met' : 'NOT met',
    ];
  });
  return [
    `### Command latency, open loop at ${measured.map((p) => int(p.rate)).join(', ')} commands/s (${transport.name})`,
    '',
    `Reproduce: \`${command}\``,
    '',
    facts,
    '',
    `Transport: **${transport.name}**: ${why}. Pool: ${poolSize} connections. Mix: orders placed with 1–3 lines, ` +
      `0–2 lines added, 10% a line removed, 85% confirmed and paid (5% of payments partly refunded), 15% cancelled; ` +
      `${thinkMs} ms think time between an order's commands. Latency is measured from the time each command was ` +
      `due (open loop: no coordinated omission). Warm-up ${warmupS} s at the first rate, not counted. ` +
      `${int(ordersCreated)} orders created in all, each mode's on a database created empty for it. CPU in cores (1.00 = one full core); machine busy ` +
      `includes other work on the machine.`,
    '',
    table(
      [
        'phase',
        'operation',
        'offered',
        'achieved /s',
        'errors',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'machine busy',
        'generator cores',
        'API cores',
        'PostgreSQL cores',
      ],
      [
        phaseRow(baseline, transport.baselineName),
        ...measured.map((p) => phaseRow(p, `command mix${authLabel(p)}`)),
      ],
    ),
    '',
    ...(transport.name === 'http' ? [cpu.table] : []),
    ...perKind,
    table(['target', 'measured', 'result'], [...verdicts, ...cpu.verdicts]),
    '',
  ].join('\n');
}

/**
 * What one mode's phases run on: the bench database created again (empty, migrated, checkpointed), a pool
 * and a backend lister on it, and the modes' credentials. Each mode starts from the same empty database: the
 * database grows by about 25,000 orders per phase, and a run of four phases all with authentication off got
 * slower phase by phase (p99 18.8, 36.1, 39.9, 91.7 ms; PostgreSQL CPU per command +32%), which made
 * whatever mode ran later look slower.
 */
interface Ground {
  pool: Pool;
  lister: Awaited<ReturnType<typeof openBackendLister>>;
  auth: BenchAuth;
  close(): Promise<void>;
}

async function prepareGround(config: Config): Promise<Ground> {
  await freshDatabase(config);
  await checkpoint(config);
  const pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: poolSize });
  const lister = await openBackendLister(config);
  const auth = await prepareBenchAuth(pgExecutor(pool), authModes);
  return {
    pool,
    lister,
    auth,
    async close() {
      auth.close();
      await lister.close();
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const config = benchConfig(DATABASE, { OUTBOX_MODE: 'table', PG_POOL_SIZE: String(poolSize) });
  let ground = await prepareGround(config);
  const chosen = await chooseTransport(config, ground.pool, ground.auth);
  let { transport, server } = chosen;
  const { why } = chosen;
  log(`transport: ${transport.name} (${why})`);
  // Authentication is the API's: the service called directly has none.
  const modes: (BenchAuthMode | undefined)[] = transport.name === 'http' ? authModes : [undefined];
  const facts = await collectFacts(config, [
    [
      'bench',
      `commands: ${rates.join(', ')}/s for ${durationS} s each (${transport.name}${transport.name === 'http' ? `, auth ${authModes.join(', ')}` : ''}), pool ${poolSize}`,
    ],
  ]);
  const runId = randomBytes(4).toString('hex');
  let sessions = new OrderSessions(runId, thinkMs);
  let ordersCreated = 0;
  const phases: Phase[] = [];
  const phase = async (
    name: string,
    rate: number,
    seconds: number,
    operation: (i: number) => Promise<string>,
    authMode?: BenchAuthMode,
  ) => {
    log(`${name}: ${rate}/s for ${seconds} s${authMode === undefined ? '' : `, auth ${authMode}`}`);
    const cpu = watchCpu({
      serverPids: () => ground.lister.list(),
      ...(server ? { appPid: server.child.pid! } : {}),
    });
    const result = await runOpenLoop({
      ratePerSecond: rate,
      durationMs: seconds * 1000,
      drainTimeoutMs: drainMs,
      maxInFlight: MAX_IN_FLIGHT,
      operation,
    });
    phases.push({
      name,
      rate,
      seconds,
      result,
      cpu: await cpu.stop(),
      ...(authMode ? { auth: authMode } : {}),
    });
    const s = summarize(result.latenciesMs);
    log(
      `  p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} ms, ${int(result.achievedPerSecond)}/s, errors: ${errorsOf(result)}`,
    );
  };
  const command = async () => {
    const { step, done } = sessions.take();
    try {
      await transport.execute(step);
      done(true);
      return step.kind;
    } catch (error) {
      done(false);
      throw error;
    }
  };
  try {
    await phase('baseline', Math.max(...rates), baselineS, async () => {
      await transport.baseline();
      return 'baseline';
    });
    for (const [i, mode] of modes.entries()) {
      if (i > 0 && mode !== undefined) {
        // Each mode its own empty database and API process, started and warmed up like the first.
        await transport.close();
        stopServer(server);
        await ground.close();
        ground = await prepareGround(config);
        ordersCreated += sessions.ordersCreated;
        sessions = new OrderSessions(`${runId}-${i}`, thinkMs);
        ({ transport, server } = await httpServer(config, ground.auth, mode));
      }
      if (warmupS > 0) await phase('warm-up', rates[0]!, warmupS, command, mode);
      for (const rate of rates) await phase('commands', rate, durationS, command, mode);
    }
  } finally {
    await transport.close();
    stopServer(server);
    await ground.close();
  }
  ordersCreated += sessions.ordersCreated;
  process.stdout.write(report(phases, transport, why, factsMarkdown(facts), ordersCreated));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
