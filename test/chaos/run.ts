import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { seededRandom } from '../fixtures/random';
import { startLoad } from './load';
import { openPipeline, type Pipeline } from './pipeline';
import { formatNotes, formatTable, type ScenarioResult } from './report';
import { startRollbackWriter } from './rollback';
import { SCENARIOS, type Scenario } from './scenarios';
import { writeReliabilityDoc } from './docs';
import { DEFAULT_STACK_DIR, openChaosStack, type ChaosStack } from './stack';
import { sleep } from '../../src/util';

/**
 * The failure-injection suite: `npm run test:chaos [-- --scenarios=a,b --runs=N --write-docs]`.
 *
 * Brings up a stack of its own (own folder and ports, see stack.ts), then runs each scenario on a fresh
 * database / topic prefix / index prefix: the real API, relay and both projectors as processes, an open-loop
 * HTTP load, the fault, more load, then waits until the pipeline is quiet and runs `verify`. A scenario
 * passes with 0 lost events, 0 duplicate effects and per-aggregate order in the read models and on Kafka,
 * nothing published for rolled-back commands, no dead letters, and no two commands accepted on one If-Match
 * version. Prints a table per run; exits 1 when any scenario failed. Stops the stack at the end.
 */

interface Options {
  scenarios: Scenario[];
  runs: number;
  ratePerSecond: number;
  warmupMs: number;
  afterMs: number;
  writeDocs: boolean;
  keepStack: boolean;
  /** A process that exits by itself fails the scenario (by default it is restarted and reported). */
  failOnCrash: boolean;
  stackDir: string;
  seed: number;
}

const QUIET_TIMEOUT_MS = 180_000;
/** Every saga ends within its payment timeout (15 s in the chaos pipeline) plus a retry or two. */
const SAGAS_TIMEOUT_MS = 90_000;

function parseArgs(argv: string[]): Options {
  const options: Options = {
    scenarios: [...SCENARIOS],
    runs: 1,
    ratePerSecond: 40,
    warmupMs: 3_000,
    afterMs: 5_000,
    writeDocs: false,
    keepStack: false,
    failOnCrash: false,
    stackDir: DEFAULT_STACK_DIR,
    seed: Date.now() % 1_000_000,
  };
  for (const arg of argv) {
    const [flag, value = ''] = arg.split('=', 2) as [string, string?];
    switch (flag) {
      case '--scenarios': {
        const names = value.split(',').filter((n) => n !== '');
        const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
        if (names.length === 0 || unknown.length > 0) {
          throw new Error(
            `--scenarios takes names among ${SCENARIOS.map((s) => s.name).join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}`,
          );
        }
        options.scenarios = SCENARIOS.filter((s) => names.includes(s.name));
        break;
      }
      case '--runs':
        options.runs = positive(flag, value);
        break;
      case '--rate':
        options.ratePerSecond = positive(flag, value);
        break;
      case '--seed':
        options.seed = positive(flag, value);
        break;
      case '--stack-dir':
        options.stackDir = resolve(value);
        break;
      case '--write-docs':
        options.writeDocs = true;
        break;
      case '--keep-stack':
        options.keepStack = true;
        break;
      case '--fail-on-crash':
        options.failOnCrash = true;
        break;
      default:
        throw new Error(
          `unknown option ${arg}; usage: run.ts [--scenarios=a,b] [--runs=N] [--rate=N] [--seed=N] [--write-docs] [--keep-stack] [--fail-on-crash] [--stack-dir=DIR]`,
        );
    }
  }
  return options;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got '${value}'`);
  return n;
}

/** Answers by status, e.g. `201×120 200×300 409×12 0×5` (0 = no answer). */
const statuses = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');

async function runScenario(
  stack: ChaosStack,
  scenario: Scenario,
  options: Options,
  logRoot: string,
  random: () => number,
  say: (line: string) => void,
  track: (pipeline: Pipeline | undefined) => void,
): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = {
    name: scenario.name,
    fault: scenario.fault,
    ok: false,
    problems: [],
    eventsWritten: 0,
    published: 0,
    duplicatesAbsorbed: 0,
    lost: 0,
    unplannedExits: [],
    durationMs: 0,
  };
  say(`▶ ${scenario.name}: ${scenario.fault}`);
  let pipeline: Pipeline;
  try {
    pipeline = await openPipeline(stack, scenario.name, logRoot, say);
  } catch (error) {
    result.problems.push(`harness: could not set the scenario up: ${(error as Error).message}`);
    say(`  FAIL: ${result.problems[0]!}`);
    return result;
  }
  track(pipeline);
  let keep = false;
  try {
    await scenario.prepare?.({ stack, pipeline, say, sleep });
    await pipeline.startAll();
    const load = startLoad({
      baseUrl: pipeline.apiUrl,
      credential: pipeline.credential,
      ratePerSecond: options.ratePerSecond,
      random,
    });
    const rollbacks = scenario.rollbacks
      ? startRollbackWriter({
          config: pipeline.config,
          openOrders: load.openOrders,
          ratePerSecond: 10,
          random,
        })
      : undefined;
    let recovered: Promise<{ relayMs: number; totalMs: number }> | undefined;
    try {
      await sleep(options.warmupMs);
      await scenario.inject({ stack, pipeline, say, sleep });
      const faultEnded = Date.now();
      const lsn = await pipeline.walPosition();
      recovered = pipeline
        .waitDelivered(lsn, QUIET_TIMEOUT_MS)
        .then((at) => ({ relayMs: at.onKafkaAt - faultEnded, totalMs: at.deliveredAt - faultEnded }));
      recovered.catch(() => undefined);
      await sleep(options.afterMs);
    } finally {
      result.load = await load.stop();
      const rolledBack = await rollbacks?.stop();
      if (rolledBack) result.rollback = { ...rolledBack, stored: 0, onKafka: 0 };
    }
    const loadEnded = Date.now();
    const lsn = await pipeline.walPosition();
    const recovery = await recovered;
    result.recoverMs = recovery?.totalMs;
    result.recoverKafkaMs = recovery?.relayMs;
    result.quietMs = (await pipeline.waitDelivered(lsn, QUIET_TIMEOUT_MS)).deliveredAt - loadEnded;
    if (scenario.resolve) {
      await scenario.resolve({ stack, pipeline, say, sleep });
      await pipeline.waitDelivered(await pipeline.walPosition(), QUIET_TIMEOUT_MS);
    }
    await pipeline.waitSagasEnded(SAGAS_TIMEOUT_MS);
    // What the sagas appended meanwhile (OrderReadyToShip, OrderCancelled) reaches the read models too.
    await pipeline.waitDelivered(await pipeline.walPosition(), QUIET_TIMEOUT_MS);
    // The gateway stays up: verify asks it for every order's capture.
    await pipeline.stopAll(['gateway']);

    const report = await pipeline.verify();
    result.sagas = await sagaStates(pipeline);
    result.gateway = await pipeline.gatewayStats();
    result.verify = report;
    const kafka = report.checks.find((c) => c.name === 'events → Kafka');
    result.eventsWritten = kafka?.checked ?? 0;
    result.duplicatesAbsorbed = kafka?.absorbed ?? 0;
    result.lost = report.checks.reduce((sum, c) => sum + c.missing, 0);
    result.published = await pipeline.publishedMessages();
    result.deadLetters = await pipeline.deadLetters();
    if (result.rollback) {
      result.rollback.stored = await pipeline.storedAmong(result.rollback.eventIds);
      result.rollback.onKafka = await pipeline.publishedAmong(result.rollback.eventIds);
    }

    const problems = result.problems;
    if (!report.ok) {
      for (const c of report.checks) {
        const bad = (['missing', 'duplicated', 'mismatched', 'unexpected', 'outOfOrder'] as const).filter(
          (k) => c[k] > 0,
        );
        if (bad.length > 0) problems.push(`verify ${c.name}: ${bad.map((k) => `${c[k]} ${k}`).join(', ')}`);
      }
      for (const p of report.problems.slice(0, 10))
        problems.push(`  ${p.check}: ${p.kind} ${p.id} — ${p.detail}`);
    }
    if (result.eventsWritten === 0) problems.push('no events were written: the load did not reach the store');
    if (!result.sagas.completed) problems.push('no saga completed: the load did not reach the saga');
    const kept = result.gateway.captured - result.gateway.refunds;
    if (kept !== (result.sagas.completed ?? 0)) {
      problems.push(
        `the gateway kept ${kept} captures (${result.gateway.captured} captured, ${result.gateway.refunds} refunded) for ${result.sagas.completed ?? 0} completed sagas`,
      );
    }
    if (result.deadLetters > 0)
      problems.push(`${result.deadLetters} dead letters (see projection_dead_letters)`);
    if (result.load.pairsBothAccepted > 0) {
      problems.push(
        `${result.load.pairsBothAccepted} pairs of commands on one If-Match version were both accepted`,
      );
    }
    if (result.rollback) {
      if (result.rollback.commands === 0)
        problems.push('the rolled-back-command writer made no command fail');
      if (result.rollback.stored > 0)
        problems.push(`${result.rollback.stored} rolled-back events are in the store`);
      if (result.rollback.onKafka > 0)
        problems.push(`${result.rollback.onKafka} rolled-back events are on Kafka`);
    }
    result.ok = problems.length === 0;
  } catch (error) {
    result.problems.push(`harness: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await pipeline.stopAll().catch(() => undefined);
    // Whatever happened, the next scenario starts from transparent proxies and running services.
    for (const proxy of Object.values(stack.proxies)) {
      proxy.setLatency(0);
      proxy.restore();
    }
    if (!result.ok) await stack.up().catch((error: Error) => say(`  stack up failed: ${error.message}`));
    result.unplannedExits = Object.values(pipeline.processes).flatMap((p) => p.unplannedExits);
    if (options.failOnCrash && result.unplannedExits.length > 0) {
      result.ok = false;
      result.problems.push(
        `${result.unplannedExits.length} processes exited by themselves (${result.unplannedExits.map((e) => e.process).join(', ')})`,
      );
    }
    result.durationMs = Date.now() - started;
    keep = !result.ok;
    if (keep) {
      say(
        `  kept ${pipeline.name}'s database, topics and indices for inspection; logs in ${pipeline.logDir}`,
      );
    } else {
      await pipeline.cleanup().catch((error: Error) => say(`  cleanup failed: ${error.message}`));
    }
    track(undefined);
  }
  const load = result.load;
  say(
    `  ${result.ok ? 'pass' : 'FAIL'} in ${(result.durationMs / 1000).toFixed(0)} s: ${result.eventsWritten} events, ${result.published} published, ${result.duplicatesAbsorbed} duplicates absorbed, ${result.lost} lost, recovered in ${result.recoverMs ?? '-'} ms (on Kafka after ${result.recoverKafkaMs ?? '-'} ms), quiet ${result.quietMs ?? '-'} ms after the load; commands ${load ? `${load.accepted} ok / ${load.rejected} rejected / ${load.failed} failed / ${load.shed} shed (${statuses(load.statuses)})` : '-'}; crashes ${result.unplannedExits.length}`,
  );
  if (result.sagas) {
    const g = result.gateway;
    say(
      `  sagas ${Object.entries(result.sagas)
        .map(([state, n]) => `${state} ${n}`)
        .join(
          ', ',
        )}; gateway ${g ? `${g.captured} captured, ${g.declined} declined, ${g.refunds} refunded, ${g.replayed} replayed` : '-'}`,
    );
  }
  for (const problem of result.problems) say(`  ✗ ${problem}`);
  return result;
}

async function sagaStates(pipeline: Pipeline): Promise<Record<string, number>> {
  const { rows } = await pipeline.pool.query<{ state: string; n: number }>(
    `select state, count(*)::int as n from sagas group by state order by state`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const began = Date.now();
  const say = (line: string) =>
    process.stdout.write(`[chaos ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const logRoot = join(
    resolve(options.stackDir, '..'),
    'logs',
    new Date().toISOString().replace(/[:.]/g, '-'),
  );
  mkdirSync(logRoot, { recursive: true });
  say(
    `scenarios ${options.scenarios.map((s) => s.name).join(', ')}; ${options.runs} run(s) at ${options.ratePerSecond} commands/s, seed ${options.seed}; logs in ${logRoot}`,
  );

  const stack = await openChaosStack(options.stackDir, say);
  let current: Pipeline | undefined;
  let stopping = false;
  const shutdown = async () => {
    if (current) await current.stopAll().catch(() => undefined);
    if (!options.keepStack) await stack.close().catch((e: Error) => say(`stack down failed: ${e.message}`));
    else await Promise.all(Object.values(stack.proxies).map((p) => p.close()));
  };
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the pipeline and the chaos stack`);
    void shutdown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const runs: ScenarioResult[][] = [];
  let versions = '';
  try {
    await stack.up();
    versions = (await stack.status()).map((s) => `${s.name} ${s.health.version ?? '?'}`).join(', ');
    const random = seededRandom(options.seed);
    for (let run = 1; run <= options.runs; run++) {
      const results: ScenarioResult[] = [];
      for (const scenario of options.scenarios) {
        results.push(await runScenario(stack, scenario, options, logRoot, random, say, (p) => (current = p)));
      }
      runs.push(results);
      const notes = formatNotes(results);
      process.stdout.write(
        `\nrun ${run} of ${options.runs}: ${results.filter((r) => r.ok).length}/${results.length} scenarios passed\n\n${formatTable(results)}\n${notes.length > 0 ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}\n`,
      );
    }
  } finally {
    await shutdown();
  }
  const durationMs = Date.now() - began;
  const failed = runs.flat().filter((r) => !r.ok);
  say(
    `done in ${(durationMs / 60_000).toFixed(1)} min: ${runs.flat().length - failed.length} passed, ${failed.length} failed`,
  );
  if (options.writeDocs) {
    const file = await writeReliabilityDoc({
      runs,
      durationMs,
      command: `npm run test:chaos -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
      seed: options.seed,
      ratePerSecond: options.ratePerSecond,
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
      versions,
      scenarios: options.scenarios,
    });
    say(`wrote ${file}`);
  }
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
