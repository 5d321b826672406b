import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { exitReason } from './processes';
import { formatNotes, formatTable, type ScenarioResult } from './report';
import type { Scenario } from './scenarios';

/** Writes docs/reliability.md from a suite invocation (`--write-docs`). */

export interface SuiteRecord {
  runs: ScenarioResult[][];
  durationMs: number;
  command: string;
  seed: number;
  ratePerSecond: number;
  machine: string;
  versions: string;
  scenarios: readonly Scenario[];
}

export const INTRO = `# Reliability: the failure-injection suite

\`npm run test:chaos\` runs the real pipeline — the API (\`tributary serve\`), the relay and both projectors as
separate processes — under a steady HTTP load and injects faults into it: processes SIGKILLed and restarted,
Kafka, Elasticsearch and PostgreSQL stopped and started, latency and connection resets on the network between
the processes and the services, the order-fulfilment saga killed or cut from Kafka, a flapping payment
gateway, and commands that fail after their events were inserted. After each scenario it waits until the
pipeline is quiet and every saga ended, and runs \`verify\` (\`src/verify\`): Kafka, the search index and the
report tables compared with the event store, and the saga check (states, payments, steps, stock, and the
gateway's captures). Code: \`test/chaos/\`.

## Running it

\`\`\`sh
npm run test:chaos                                   # every scenario once (about 11 min on 2 cores), then stops its stack
npm run test:chaos -- --scenarios=relay-sigkill,rollbacks --runs=3
npm run test:chaos -- --runs=3 --write-docs          # what produced this page
\`\`\`

Options: \`--rate=N\` commands per second (default 40), \`--seed=N\` to replay a run's choices, \`--keep-stack\`
to leave the chaos stack running for the next invocation, \`--fail-on-crash\` to fail a scenario in which a process
exited by itself, \`--stack-dir=DIR\`. It needs what \`npm run stack:up\` needs, and its ports free (below;
\`CHAOS_PORT_OFFSET=N\` adds N to every one of them and \`CHAOS_STACK_DIR\` moves the stack's folder, for a second checkout on the same machine). It exits 1
when a scenario fails; a failed scenario keeps its database, topics and indices for inspection, and every
process's output is in \`/tmp/tributary-chaos/logs/<time>/<scenario>/\`.

## How a scenario runs

1. **Its own stack.** The suite brings up a second native stack in \`/tmp/tributary-chaos/stack\` on its own
   ports (PostgreSQL 15433, Kafka 19092 + controller 19093, Elasticsearch 19200 + transport 19300), so
   stopping its services never disturbs the shared stack; it stops it at the end. A TCP fault proxy sits in
   front of each service for the whole run (PostgreSQL 15434, Kafka 19094, Elasticsearch 19201), and the
   processes only talk to the proxies; the broker advertises the proxy's port
   (\`STACK_KAFKA_ADVERTISED_PORT\`), so Kafka clients that bootstrap through it also produce and fetch
   through it.
2. **Its own pipeline.** A fresh database prepared as a deployment is (\`db roles\`, then \`setup\`: migrations,
   grants, the relay's slot before the first write, the topics), a relay slot, a topic prefix and an index
   prefix per scenario; the API listens on 127.0.0.1:18080, with authentication on (a bearer token of the
   scenario's own issuer with every request). The six processes run as
   \`node --import tsx src/cli/main.ts serve|relay|project search|project reporting|saga|gateway\`, each under its own
   PostgreSQL role (the \`chaos_*\` roles: API_DATABASE_URL, RELAY_DATABASE_URL, …) — one process per pid,
   so SIGKILL really kills it — under a small supervisor that restarts a process that exits by itself (as
   systemd or Kubernetes would) and reports it in the **crashes** column. The saga runs on a short clock
   (\`SAGA_PAYMENT_TIMEOUT_MS\` 15 s, \`PAYMENT_GATEWAY_TIMEOUT_MS\` 1 s, \`SAGA_RETRY_MAX_MS\` 2 s) against the
   fake gateway on 127.0.0.1:18081, whose faults the scenarios set over HTTP (\`PUT /faults\`). Before the
   load, stock is received for the SKUs the load orders (plenty, but only 25 of \`box-1\`, so some sagas
   compensate for lack of stock).
3. **Load.** An open-loop HTTP load at a fixed rate: new orders, lines added and removed, confirmations and
   cancellations; some commands conditional on \`If-Match\`, some as concurrent pairs on one version (at most
   one may be accepted), some with an \`Idempotency-Key\` retried after a failure. Commands are counted as
   accepted (2xx), rejected (4xx: the domain or a version conflict) or failed (5xx, time-outs, connection
   errors while the API or a service is down). A failed command may or may not have committed — that is
   fine, since \`verify\` compares the store with everything downstream.
4. **Fault**, after a few seconds of load; the load continues for a few seconds after the fault ends.
5. **Quiet**: the relay's slot has confirmed the WAL position taken after the load stopped (so everything
   committed is on Kafka), and both projectors' committed offsets reached the order topic's end.
   A scenario with an operator's step (oversized-record: raise the topic's limit, then
   \`relay dead-letters replay\`) takes it now, and the pipeline is let go quiet again. Then the run waits
   (90 s at most) until every confirmed order has its saga and every saga is terminal (completed,
   compensated, timed out).
6. **Verify** (\`verifyPipeline\`): every stored event on Kafka, nothing on Kafka the store does not have,
   per-aggregate order of first deliveries on Kafka, every order's search document and report contribution
   equal to the fold of its events, and the report rows equal to the sums of the contributions (a
   contribution counted twice shows as *duplicated*). A scenario passes when verify is clean, no event was
   dead-lettered, no two commands were accepted on one \`If-Match\` version, and no rolled-back event is in the
   store or on Kafka. The saga check (\`verify --checks saga --gateway\`) wants every saga terminal, every
   capture (payment event, capture step, and the gateway's capture by the order's key) belonging to an
   order ready to ship or refunded, no step taken twice, and the stock replayed from the inventory events
   never below 0 and equal to receipts minus the completed sagas' reservations, none left held. The run
   also wants at least one saga completed, and the gateway's captures kept (captured − refunded) equal to
   the completed sagas: no double charge.

## The columns

- **events written**: events in the scenario's store.
- **published**: messages on the order topic (every copy).
- **duplicates absorbed**: copies of an event on Kafka beyond the first — at-least-once redelivery (a relay
  restarted before it confirmed what it had published); the projectors absorb them (the read models have 0
  duplicate effects, or verify fails).
- **lost**: events or orders missing on Kafka, in the search index or in the reports (every verify check).
- **time to recover**: from the end of the fault (process ready again, service healthy, proxy transparent)
  until everything committed before that moment was in both read models.
- **rolled back**: events inserted by commands that then failed in the same transaction (a thrown error, an
  SQL error, a unique violation); how many of them are in the store and on Kafka (both must be 0).
- **crashes**: processes that exited by themselves (not the one the scenario killed) and were restarted.
`;

export async function writeReliabilityDoc(record: SuiteRecord): Promise<string> {
  const file = join(resolve(__dirname, '../..'), 'docs', 'reliability.md');
  const runs = record.runs.flat();
  const failed = runs.filter((r) => !r.ok).length;
  const sections = record.runs.map((results, i) => {
    const notes = formatNotes(results);
    const took = results.reduce((sum, r) => sum + r.durationMs, 0);
    return [
      `### Run ${i + 1} of ${record.runs.length} (${(took / 60_000).toFixed(1)} min of scenarios)`,
      '',
      formatTable(results),
      ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
    ].join('\n');
  });
  const text = `${INTRO}
## The scenarios

| scenario | fault |
| --- | --- |
${record.scenarios.map((s) => `| ${s.name} | ${s.fault} |`).join('\n')}

## Results

Measured ${new Date().toISOString().slice(0, 10)} at commit ${commit()} with \`${record.command}\` (seed ${record.seed}, ${record.ratePerSecond} commands/s).
Machine: ${record.machine}; ${record.versions}.
The whole invocation took ${(record.durationMs / 60_000).toFixed(1)} min, stack start and stop included:
${runs.length - failed} scenario runs passed, ${failed} failed.

${sections.join('\n\n')}

${reading(record)}
`;
  // Formatted as `npm run lint` wants it (tables aligned).
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), parser: 'markdown' }));
  return file;
}

/** What the numbers mean: totals over every run, and the behaviour behind the slower recoveries. */
function reading(record: SuiteRecord): string {
  const all = record.runs.flat();
  const sum = (f: (r: ScenarioResult) => number) => all.reduce((total, r) => total + f(r), 0);
  const byScenario = (name: string) => all.filter((r) => r.name === name);
  const range = (results: ScenarioResult[]) => {
    const times = results.flatMap((r) => (r.recoverMs === undefined ? [] : [r.recoverMs / 1000]));
    return times.length === 0 ? '-' : `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)} s`;
  };
  const crashes = all.flatMap((r) => r.unplannedExits.map((exit) => ({ scenario: r.name, exit })));
  const reasons = new Map<string, Set<string>>();
  for (const { scenario, exit } of crashes) {
    const reason = `${exit.process}: ${exitReason(exit).slice(0, 200)}`;
    reasons.set(reason, (reasons.get(reason) ?? new Set()).add(scenario));
  }
  const ran = (name: string) => byScenario(name).length > 0;
  const lines = [
    '## Reading the results',
    '',
    `- **Over all ${all.length} scenario runs**: ${sum((r) => r.eventsWritten)} events written, ${sum((r) => r.published)} messages published, ${sum((r) => r.duplicatesAbsorbed)} duplicates absorbed, ${sum((r) => r.lost)} lost; verify found ${sum((r) => r.verify?.checks.reduce((n, c) => n + c.duplicated + c.mismatched + c.unexpected + c.outOfOrder, 0) ?? 0)} duplicated, mismatched, unexpected or out-of-order items; ${sum((r) => r.rollback?.eventIds.length ?? 0)} events of rolled-back commands, ${sum((r) => (r.rollback?.stored ?? 0) + (r.rollback?.onKafka ?? 0))} of them stored or published.`,
  ];
  if (ran('postgres-restart')) {
    lines.push(
      `- **Duplicates after a PostgreSQL restart** (postgres-restart): PostgreSQL before 17 keeps a logical slot's confirmed position in memory and writes it to disk only when the slot's restart position or catalog xmin moves too, not at a shutdown checkpoint; after the restart the relay resumes from the older position and publishes that stretch again. At least once, as designed: the projectors absorb the copies.`,
    );
  }
  if (ran('search-sigkill') || ran('reporting-sigkill')) {
    lines.push(
      `- **A killed projector resumes only when the consumer group drops its dead predecessor** (time to recover: search-sigkill ${range(byScenario('search-sigkill'))}, reporting-sigkill ${range(byScenario('reporting-sigkill'))}): the new process joins the group at once, but the group coordinator waits for the killed member until its session times out (30 s, \`sessionTimeout\` in \`src/projections/runtime/consumer.ts\`). A shorter session timeout would shorten this recovery, at the price of rebalances on long pauses.`,
    );
  }
  if (ran('kafka-restart')) {
    lines.push(
      `- **Kafka restarts** (time to recover ${range(byScenario('kafka-restart'))}): the relay retries its session with a capped exponential back-off (0.25 s doubling to 30 s), so the longer Kafka is away, the longer the wait after it returns.`,
    );
  }
  if (ran('api-sigkill')) {
    lines.push(
      `- **A killed API** answers nothing until it is back: those commands count as failed (no answer). An unanswered command may or may not have committed; verify shows the store and everything downstream agree either way.`,
    );
  }
  if (reasons.size > 0) {
    lines.push(
      '',
      '### Crashes',
      '',
      'Processes that exited by themselves in these runs (the supervisor restarted them; nothing was lost, but each is a bug), with the error they died of:',
      '',
      ...[...reasons].map(([reason, scenarios]) => `- ${[...scenarios].join(', ')} — ${reason}`),
    );
    if ([...reasons.keys()].some((reason) => reason.includes("Emitted 'error' event"))) {
      lines.push(
        '',
        "Why: node-postgres emits an `'error'` event on a pooled connection that fails outside a query (an idle one in the pool, or one checked out between two statements: the relay's lock connection, a projector's batch transaction), and no listener is attached, so Node ends the process. The failure would reach the next query on that connection anyway. The fix: listeners on every pool and its clients, and the driver's connection errors without a SQLSTATE (`Connection terminated unexpectedly`, `Client has encountered a connection error and is not queryable`) in the retry table, so the relay and the projectors retry instead of giving up.",
      );
    }
  }
  return lines.join('\n');
}

/** The checked-out commit, and whether the tree had changes (what was measured). */
function commit(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: resolve(__dirname, '../..'), encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}
