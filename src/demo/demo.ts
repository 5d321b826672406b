import { join, resolve } from 'node:path';
import { type Admin } from 'kafkajs';
import { Pool } from 'pg';
import { loadConfig, type Config, type Environment } from '../config';
import { pgExecutor } from '../db/executor';
import { withSessionOptions } from '../db/pool';
import { TributaryError } from '../errors';
import { orderTopic } from '../contracts';
import * as stack from '../stack';
import { demoCredential } from './credentials';
import { demoCustomers } from './catalog';
import {
  databaseNow,
  placeTourOrders,
  receiveStock,
  sagaStates,
  stockPerSku,
  waitUntilSagasEnded,
  type TourOrders,
} from './fulfilment';
import { DEMO_DECLINE_RATE, demoGateway, gatewayStats, type DemoGateway } from './gateway';
import { describeElasticsearchUsers, elasticsearchUserEnv, settingsLine } from './elasticsearch-users';
import { DemoApi } from './http';
import { pipelineLag, waitUntilCaughtUp, type CatchUpTarget } from './pipeline';
import { Components } from './processes';
import { prepareStore, requirePortsFree, startPipeline, type Projector } from './start';
import { runTour } from './tour';
import { abortable, secondsSince } from './wait';
import { sleep } from '../util';
import { Workload, describeProgress, describeTotals } from './workload';
import { kafkaClient } from '../clients';

/**
 * `tributary demo`: the whole pipeline on this machine in one command. Brings the stack up, migrates,
 * starts the API, the relay, both projectors, the fake payment gateway and the fulfilment saga as child
 * processes, receives stock and places the tour's two orders, drives a workload through the HTTP API, waits
 * until every saga has ended and the read models hold all of it, prints a tour of the results, and keeps everything running
 * until Ctrl-C (or stops right after the tour with `exitAfterTour`). Whatever happens, it stops every process
 * it started before it returns.
 */

export interface DemoOptions {
  /** Stop everything right after the tour (tests, CI) instead of running until Ctrl-C. */
  exitAfterTour: boolean;
  commands: number;
  customers: number;
  ratePerSecond: number;
  /** Folder of the components' log files; default the stack's log folder. */
  logDir?: string;
}

export const DEMO_DEFAULTS = { commands: 3000, customers: 300, ratePerSecond: 150 } as const;

/** Where the demo writes. */
export interface DemoOutput {
  line(text: string): void;
  /** A status line the next output replaces (on a terminal): the workload's progress. */
  progress(text: string): void;
}

const STOP_TIMEOUT_MS = 10_000;

/** What a run holds, released in `finally` whatever happened. */
interface Held {
  components?: Components;
  pool?: Pool;
  admin?: Admin;
  /** The workload's sending, which may still have commands in flight after an abort. */
  sending?: Promise<void>;
}

/** The running pipeline, as the steps after the start see it. */
interface Running {
  /** Aborts on Ctrl-C, and when a component exits on its own: every wait ends on it. */
  signal: AbortSignal;
  api: DemoApi;
  logDir: string;
  projectors: Projector[];
  sagaGroupId: string;
  gateway: DemoGateway;
  /** Where the pipeline's progress is read. */
  target: Omit<CatchUpTarget, 'groupIds'>;
}

export async function runDemo(
  environment: Environment,
  options: DemoOptions,
  out: DemoOutput,
): Promise<number> {
  const config = loadConfig(environment);
  const started = Date.now();
  const interruption = listenForInterrupt(out);
  const held: Held = {};
  try {
    out.line('Tributary demo: the whole pipeline on this machine (Ctrl-C stops everything it started)');
    const running = await startDemo(config, environment, options, held, interruption.signal, out);
    const fulfilment = await prepareFulfilment(running, options, out);
    const workload = await driveWorkload(running, options, held, out);
    await waitForSagas(running, workload, fulfilment.sagasSince, out);
    const caughtUpMs = await waitForReadModels(running, workload, out);
    const tour = runTour({
      config,
      api: running.api,
      orders: workload.orders,
      ...fulfilment,
      gatewayStats: () => gatewayStats(running.gateway),
      since: new Date(workload.stats.startedAt),
      caughtUpMs,
      lag: () => pipelineLag(running.target, running.projectors),
      logDir: running.logDir,
      verifySettings: settingsLine(elasticsearchUserEnv(config, environment, 'verify')),
      say: (line) => out.line(line),
    });
    await abortable(tour, running.signal);
    if (options.exitAfterTour) {
      out.line(`\nTour done in ${secondsSince(started)} after the start; stopping (--exit-after-tour).`);
      return 0;
    }
    out.line(`\nTour done in ${secondsSince(started)}. Everything keeps running; Ctrl-C stops it.`);
    await abortable(new Promise<never>(() => undefined), running.signal);
    return 0;
  } catch (error) {
    if (interruption.signal.aborted) return 0;
    const failure = held.components?.failure;
    if (failure?.aborted) {
      throw new TributaryError('internal', (failure.reason as Error).message, { cause: error });
    }
    throw error;
  } finally {
    await release(held, out);
    interruption.stopListening();
  }
}

/** SIGINT (Ctrl-C) or SIGTERM aborts the returned signal, once; `stopListening` removes the handlers. */
function listenForInterrupt(out: DemoOutput): { signal: AbortSignal; stopListening: () => void } {
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) return; // a second Ctrl-C (or tsx relaying the first) changes nothing
    out.line(`\n${signal}: stopping everything the demo started`);
    interrupted.abort(new TributaryError('internal', `interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: interrupted.signal,
    stopListening: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Brings the stack up and reads the configuration again: on a fresh clone the stack has only now written the
 * password file that DATABASE_URL's password comes from.
 */
async function stackUp(
  config: Config,
  environment: Environment,
  interrupted: AbortSignal,
  out: DemoOutput,
): Promise<Config> {
  await abortable(
    stack.up(config, (line) => out.line(`   stack      ${line}`)),
    interrupted,
  );
  return loadConfig(environment);
}

/** The stack and the store, then the API, the relay and the projectors as child processes. */
async function startDemo(
  initial: Config,
  environment: Environment,
  options: DemoOptions,
  held: Held,
  interrupted: AbortSignal,
  out: DemoOutput,
): Promise<Running> {
  const config = await stackUp(initial, environment, interrupted, out);
  await requirePortsFree(config);
  held.pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 4 });
  const executor = pgExecutor(held.pool);
  const prepared = await prepareStore(config, environment, executor);
  out.line(`   database   ${prepared.summary}`);
  for (const note of prepared.notes) out.line(`   database   NOTE: ${note}`);
  const credential = await demoCredential(config, executor);
  out.line(`   auth       ${credential.description}`);
  out.line(`   elastic    ${describeElasticsearchUsers(config, environment, ['api', 'search'])}`);

  const logDir = options.logDir ?? join(resolve(config.stackDir), 'logs');
  const components = (held.components = new Components(logDir, (line) => out.line(line)));
  const signal = AbortSignal.any([interrupted, components.failure]);
  held.admin = adminOf(config);
  await held.admin.connect();
  const gateway = demoGateway(config);
  const say = (line: string) => out.line(line);
  const deps = { components, admin: held.admin, gateway, signal, say };
  const { baseUrl, projectors, sagaGroupId } = await startPipeline(config, prepared.environment, deps);
  const target = { executor, admin: held.admin, slot: config.relaySlot, topic: orderTopic(config) };
  const api = new DemoApi(baseUrl, credential.headers);
  return { signal, api, logDir, projectors, sagaGroupId, gateway, target };
}

/**
 * Before the workload: stock of every SKU received (so confirmed orders can be reserved), and the tour's two
 * orders placed and confirmed, the gateway told to decline the second one's capture.
 */
async function prepareFulfilment(
  running: Running,
  options: DemoOptions,
  out: DemoOutput,
): Promise<FulfilmentStart> {
  const sagasSince = await databaseNow(running.target.executor);
  const received = stockPerSku(options.commands);
  const afterReceipt = await abortable(receiveStock(running.api, received), running.signal);
  out.line(
    `\nStock: received ${received} units of each of the ${afterReceipt.size} SKUs (POST /inventory/:sku/receipts)`,
  );
  const [customer] = demoCustomers(1);
  const placing = placeTourOrders(running.api, running.gateway, customer!, running.signal);
  const tourOrders = await abortable(placing, running.signal);
  out.line(
    `   the tour's orders: ${tourOrders.completed} to complete, ${tourOrders.declined} whose capture the gateway declines`,
  );
  const rate = `${Math.round(DEMO_DECLINE_RATE * 100)} %`;
  out.line(`   both ended; the gateway now declines ${rate} of the other captures at random`);
  return { sagasSince, tourOrders, received, afterReceipt };
}

/** What the tour needs of the fulfilment set up before the workload; sagas of this run start after `sagasSince`. */
interface FulfilmentStart {
  sagasSince: string;
  tourOrders: TourOrders;
  received: number;
  afterReceipt: Map<string, number>;
}

/** Waits until the saga consumed every confirmation and each saga of this run ended; says how they ended. */
async function waitForSagas(
  running: Running,
  workload: Workload,
  since: string,
  out: DemoOutput,
): Promise<void> {
  const { target, sagaGroupId, signal } = running;
  await waitUntilCaughtUp({ ...target, groupIds: [sagaGroupId] }, signal);
  await waitUntilSagasEnded(target.executor, since, signal);
  const endedMs = Date.now() - workload.stats.lastAnswerAt;
  const states = Object.entries(await sagaStates(target.executor, since))
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  out.line(`   every saga ended ${(endedMs / 1000).toFixed(1)} s after the last answer: ${states}`);
}

/** Sends the workload's commands through the API, with a progress line; returns it with its stats. */
async function driveWorkload(
  running: Running,
  options: DemoOptions,
  held: Held,
  out: DemoOutput,
): Promise<Workload> {
  const workload = new Workload(running.api, options);
  out.line(
    `\nWorkload: ${options.commands} commands from ${options.customers} customers through the API, at up to ${options.ratePerSecond}/s`,
  );
  const ticker = setInterval(() => out.progress(describeProgress(workload.stats)), 250);
  try {
    held.sending = workload.run(running.signal);
    await abortable(held.sending, running.signal);
  } finally {
    clearInterval(ticker);
  }
  out.line(describeTotals(workload.stats));
  if (workload.stats.firstFailure) out.line(`   the first failure: ${workload.stats.firstFailure}`);
  return workload;
}

/** Waits until both read models hold every command; returns how long after the last answer that was. */
async function waitForReadModels(running: Running, workload: Workload, out: DemoOutput): Promise<number> {
  const { target, projectors, signal } = running;
  await waitUntilCaughtUp({ ...target, groupIds: projectors.map((p) => p.groupId) }, signal);
  const caughtUpMs = Date.now() - workload.stats.lastAnswerAt;
  out.line(
    `   both read models hold every command ${(caughtUpMs / 1000).toFixed(1)} s after the last answer`,
  );
  return caughtUpMs;
}

function adminOf(config: Config): Admin {
  return kafkaClient(config, { clientId: 'tributary-demo' }).admin();
}

async function release({ components, pool, admin, sending }: Held, out: DemoOutput): Promise<void> {
  // Commands still in flight first: the API finishes open requests before it stops, and a keep-alive
  // connection that goes idle after it began stopping would hold it up until the timeout.
  // Only waited for here: a failure before the stop was thrown by run's await, one after it is the abort's.
  await Promise.race([sending?.catch(() => undefined), sleep(STOP_TIMEOUT_MS)]);
  if (components && components.all.length > 0) {
    const stopping = Date.now();
    const killed = await components.stopAll(STOP_TIMEOUT_MS);
    const names = components.all.map((c) => c.name).join(', ');
    const kills =
      killed.length > 0 ? ` (killed after ${STOP_TIMEOUT_MS / 1000} s: ${killed.join(', ')})` : '';
    out.line(`stopped ${names} in ${secondsSince(stopping)}${kills}`);
  }
  // The demo is over (or failing with the error being thrown); a failure to close must not replace that.
  await admin?.disconnect().catch(() => undefined);
  await pool?.end().catch(() => undefined);
}
