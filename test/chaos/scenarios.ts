import type { FaultProxy } from './proxy';
import type { Pipeline } from './pipeline';
import type { ProcessName } from './processes';
import type { ChaosStack } from './stack';
import { OVERSIZED_RECORD } from './oversized';

/**
 * The fault scenarios. Each runs under the same load (see run.ts): a few seconds of warm-up, then `fault`,
 * which injects the fault and resolves when the fault is over (the process restarted, the service back, the
 * proxy transparent again) — recovery is measured from that moment — then more load, quiet, verify.
 */

export interface FaultContext {
  stack: ChaosStack;
  pipeline: Pipeline;
  say: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
}

export interface Scenario {
  name: string;
  /** One line for the report: what the fault is. */
  fault: string;
  inject(context: FaultContext): Promise<void>;
  /** Before the processes start (e.g. a topic setting the scenario needs). */
  prepare?(context: FaultContext): Promise<void>;
  /** After the load, once the pipeline is quiet and before `verify`: an operator's fix (e.g. a replay). */
  resolve?(context: FaultContext): Promise<void>;
  /** Also run the in-process writer of commands that roll back after their append. */
  rollbacks?: boolean;
}

/** SIGKILL, a few seconds down, restart; `inject` resolves once the new process is ready. */
function killAndRestart(name: ProcessName, what: string, downMs = 3_000): Scenario {
  return {
    name: `${name}-sigkill`,
    fault: `SIGKILL the ${what} while it works, restart it ${downMs / 1000} s later`,
    async inject({ pipeline, say, sleep }) {
      const process = pipeline.processes[name];
      say(`  SIGKILL ${name} (pid ${process.pid()})`);
      await process.kill();
      await sleep(downMs);
      await process.start();
      say(`  ${name} restarted (pid ${process.pid()})`);
    },
  };
}

/** The service stopped cleanly (the stack's own stop), down for a while, started again and healthy. */
function serviceOutage(
  service: 'kafka' | 'elasticsearch' | 'postgres',
  name: string,
  fault: string,
  downMs: number,
): Scenario {
  return {
    name,
    fault,
    async inject({ stack, say, sleep }) {
      const stopped = Date.now();
      await stack.down([service]);
      await sleep(Math.max(0, downMs - (Date.now() - stopped)));
      await stack.up([service]);
      say(`  ${service} back after ${((Date.now() - stopped) / 1000).toFixed(1)} s`);
    },
  };
}

/** 200 ms each way for a few seconds, then connection resets one second apart, through one proxy. */
function networkFaults(proxyOf: (stack: ChaosStack) => FaultProxy, service: string): Scenario {
  return {
    name: `${service}-network`,
    fault: `proxy in front of ${service}: 200 ms latency each way for 4 s, then every connection reset 3 times, 1 s apart`,
    async inject({ stack, say, sleep }) {
      const proxy = proxyOf(stack);
      proxy.setLatency(200);
      await sleep(4_000);
      proxy.setLatency(0);
      let reset = 0;
      for (let i = 0; i < 3; i++) {
        reset += proxy.resetConnections();
        await sleep(1_000);
      }
      say(`  ${service}: ${reset} connections reset`);
    },
  };
}

/**
 * The saga process SIGKILLed `times` times: each time restarted 1 s later, and killed again `upMs` after it is
 * up (its start-up takes seconds more). A killed consumer stays in its group until its session times out, so
 * the order events wait meanwhile; the capture and timer workers go on at each restart.
 */
function sagaKills(times: number, upMs: number): Scenario {
  return {
    name: 'saga-kill',
    fault: `SIGKILL the saga ${times} times, restarted 1 s later and killed again ${upMs / 1000} s after it is up`,
    async inject({ pipeline, say, sleep }) {
      const saga = pipeline.processes.saga;
      for (let i = 1; i <= times; i++) {
        await saga.kill();
        await sleep(1_000);
        await saga.start();
        if (i < times) await sleep(upMs);
      }
      say(`  saga killed ${times} times (pid now ${saga.pid()})`);
    },
  };
}

/**
 * The gateway slower than the saga's 1 s deadline (captures made while the caller gave up), then 503s and
 * lost answers after capture, then healthy again.
 */
const GATEWAY_FLAP: Scenario = {
  name: 'gateway-flap',
  fault:
    'fake gateway: 1.5 s answers (over the 1 s deadline) for 5 s, then 40% 503s and 30% lost answers after capture for 6 s, then healthy',
  async inject({ pipeline, say, sleep }) {
    await pipeline.gatewayFaults({ slowMs: 1_500 });
    await sleep(5_000);
    await pipeline.gatewayFaults({ slowMs: 0, failRate: 0.4, lostAnswerRate: 0.3 });
    await sleep(6_000);
    await pipeline.gatewayFaults({ failRate: 0, lostAnswerRate: 0 });
    const stats = await pipeline.gatewayStats();
    say(`  gateway: ${stats.captured} captured, ${stats.replayed} answered again by key`);
  },
};

/** Kafka stopped while captures are in flight (a slow gateway keeps them so) and order events wait unread. */
const SAGA_KAFKA_RESTART: Scenario = {
  name: 'saga-kafka-restart',
  fault:
    'Kafka stopped mid-saga (captures in flight on a 0.5 s gateway, confirmations unread), started again 8 s later',
  async inject({ stack, pipeline, say, sleep }) {
    await pipeline.gatewayFaults({ slowMs: 500 });
    await sleep(1_000);
    const stopped = Date.now();
    await stack.down(['kafka']);
    await sleep(Math.max(0, 8_000 - (Date.now() - stopped)));
    await stack.up(['kafka']);
    await pipeline.gatewayFaults({ slowMs: 0 });
    say(`  kafka back after ${((Date.now() - stopped) / 1000).toFixed(1)} s`);
  },
};

export const SCENARIOS: readonly Scenario[] = [
  killAndRestart('relay', 'relay'),
  killAndRestart('search', 'search projector'),
  killAndRestart('reporting', 'reporting projector'),
  killAndRestart('api', 'API'),
  serviceOutage(
    'kafka',
    'kafka-restart',
    'Kafka broker stopped (controlled shutdown), started again 10 s later',
    10_000,
  ),
  serviceOutage(
    'elasticsearch',
    'elasticsearch-restart',
    'Elasticsearch stopped, started again 5 s later (plus its start-up time)',
    5_000,
  ),
  serviceOutage(
    'postgres',
    'postgres-restart',
    'PostgreSQL restarted: fast shutdown, then started again at once',
    0,
  ),
  networkFaults((stack) => stack.proxies.postgres, 'postgres'),
  networkFaults((stack) => stack.proxies.kafka, 'kafka'),
  networkFaults((stack) => stack.proxies.elasticsearch, 'elasticsearch'),
  {
    name: 'rollbacks',
    fault:
      'commands that fail after their append (thrown error, SQL error, unique violation) at 10/s, and concurrent If-Match conflicts',
    rollbacks: true,
    async inject({ sleep }) {
      // The writer runs for the whole load; the "fault" is the stretch in the middle of it.
      await sleep(6_000);
    },
  },
  OVERSIZED_RECORD,
  sagaKills(4, 2_000),
  GATEWAY_FLAP,
  SAGA_KAFKA_RESTART,
];
