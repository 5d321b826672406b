import { benchConfig, checkpoint, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, pct, table } from './lib/markdown';
import { choiceOption, givenOptions, listOption, numberOption } from './lib/options';
import { runSide, Side, SideResult, SIDES } from './lib/append-sides';
import { median } from './lib/stats';

/**
 * Append throughput: Tributary's `store.append` against raw PostgreSQL (pgbench) doing the same inserts on
 * the same schema, same concurrency, same duration, in the same run. Each side gets a freshly created and
 * migrated database and a checkpoint before it starts; the order of the sides rotates between rounds.
 *
 *   npx tsx bench/append.ts [--duration=20] [--clients=8] [--streams=10000] [--rounds=1] [--cases=1,10]
 *                           [--expected=tracked|any] [--sides=pgbench,tributary]
 *
 * `--sides` may add the diagnostic sides `pgbench-extended` and `node-pg` (see bench/lib/append-sides.ts).
 */

const DATABASE = 'bench_append';
const TARGET_RATIO = 0.7;

const durationS = numberOption('duration', 'BENCH_DURATION_S', 20);
const clients = numberOption('clients', 'BENCH_CLIENTS', 8);
const streams = numberOption('streams', 'BENCH_STREAMS', 10_000);
const rounds = numberOption('rounds', 'BENCH_ROUNDS', 1);
const cases = listOption('cases', 'BENCH_CASES', ['1', '10'] as const, ['1', '10']).map(Number);
const expectedMode = choiceOption('expected', 'BENCH_EXPECTED', ['tracked', 'any'] as const, 'tracked');
const sides = listOption('sides', 'BENCH_SIDES', SIDES, ['pgbench', 'tributary']);
const settings = {
  clients,
  streamsPerClient: Math.max(1, Math.floor(streams / clients)),
  durationS,
  expectedMode,
};

const log = (line: string) => process.stderr.write(`[bench:append] ${line}\n`);

/** Round r starts with side r-1 (mod n), so no side always runs first on a machine that warms up or drifts. */
const rotated = <T>(items: readonly T[], by: number): T[] =>
  items.map((_, i) => items[(i + by) % items.length]!);

function ratioRows(results: SideResult[]): (string | number)[][] {
  if (!sides.includes('pgbench') || !sides.includes('tributary')) return [];
  return cases.map((eventsPerTx) => {
    const of = (side: Side) =>
      results.filter((r) => r.side === side && r.eventsPerTx === eventsPerTx).map((r) => r.eventsPerSecond);
    const raw = of('pgbench');
    const ratios = of('tributary').map((value, round) => value / raw[round]!);
    const ratio = median(ratios);
    return [
      eventsPerTx,
      int(median(raw)),
      int(median(of('tributary'))),
      ratios.length > 1 ? `${pct(ratio)} (rounds: ${ratios.map(pct).join(', ')})` : pct(ratio),
      `≥ ${pct(TARGET_RATIO)}`,
      ratio >= TARGET_RATIO ? 'met' : 'NOT met',
    ];
  });
}

async function main(): Promise<void> {
  const config = benchConfig(DATABASE, { OUTBOX_MODE: 'table', PG_POOL_SIZE: String(clients) });
  const facts = await collectFacts(config, [
    ['bench', `append: ${clients} clients, ${durationS} s per side, ${rounds} round(s), ${streams} streams`],
  ]);
  const results: (SideResult & { round: number })[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const eventsPerTx of cases) {
      for (const side of rotated(sides, round - 1)) {
        await freshDatabase(config);
        await checkpoint(config);
        log(`round ${round}: ${side}, ${eventsPerTx} event(s) per transaction, ${durationS} s`);
        const result = await runSide(config, side, eventsPerTx, settings);
        log(`  ${int(result.eventsPerSecond)} events/s, ${result.check}`);
        results.push({ ...result, round });
      }
    }
  }

  // CPU milliseconds per transaction: steadier than throughput on a shared machine, and it says who pays.
  const perTx = (cores: number, r: SideResult) => ((cores * 1000) / r.transactionsPerSecond).toFixed(2);
  const sideRows = results.map((r) => [
    r.round,
    r.eventsPerTx,
    r.side,
    int(r.transactionsPerSecond),
    int(r.eventsPerSecond),
    ms(r.latencyAverageMs),
    Number.isNaN(r.latencyP99Ms) ? '–' : ms(r.latencyP99Ms),
    r.errors,
    pct(r.cpu.machineBusy),
    pct(r.cpu.machineSteal),
    `${r.cpu.clientCores.toFixed(2)} (${perTx(r.cpu.clientCores, r)})`,
    `${r.cpu.serverCores.toFixed(2)} (${perTx(r.cpu.serverCores, r)})`,
    r.check,
  ]);
  const ratios = ratioRows(results);
  const command = ['npx tsx bench/append.ts', ...givenOptions()].join(' ');
  process.stdout.write(
    [
      `### Append throughput: Tributary vs raw PostgreSQL (pgbench)`,
      '',
      `Reproduce: \`${command}\``,
      '',
      factsMarkdown(facts),
      '',
      `tributary: \`store.append\` (OUTBOX_MODE=table), ${clients} concurrent appenders on a pool of ${clients}, ` +
        `expected version ${expectedMode === 'tracked' ? 'tracked per stream' : "'any'"}. ` +
        `pgbench: ${clients} clients, ${Math.min(clients, 2)} threads, --protocol=prepared ` +
        `(pgbench-extended: --protocol=extended), bench/pgbench/append-N.sql. node-pg: the same SQL from Node, ` +
        `named statements. Each side: fresh database, ${durationS} s, ${streams} streams split between the clients. ` +
        `CPU: machine busy and steal over all cores (includes other work on the machine); client (the Node ` +
        `process or pgbench) and server (the PostgreSQL backends of the bench database) in cores (1.00 = one ` +
        `full core) and in CPU ms per transaction.`,
      '',
      table(
        [
          'round',
          'events/tx',
          'side',
          'tx/s',
          'events/s',
          'avg latency ms',
          'p99 ms',
          'errors',
          'machine busy',
          'steal',
          'client cores (ms/tx)',
          'server cores (ms/tx)',
          'rows written (check)',
        ],
        sideRows,
      ),
      '',
      ...(ratios.length > 0
        ? [
            table(
              ['events/tx', 'pgbench events/s', 'Tributary events/s', 'ratio', 'target', 'result'],
              ratios,
            ),
            '',
          ]
        : []),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
