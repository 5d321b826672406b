import { readdirSync, readFileSync } from 'node:fs';
import { processCpuSeconds } from './cpu';

/**
 * Where the machine's CPU went during a window, by kind of process: every process is read from /proc at the
 * start and at the end, named by `kindOf` from its command line, and its CPU seconds in between are summed per
 * kind. For a whole pipeline (PostgreSQL, Kafka, Elasticsearch, the relay, a projector, the load generator),
 * where one number per process would not say which part is short of CPU. Linux only; empty elsewhere. A
 * process that exits inside the window is missed (the report says so through `other` being small, not zero).
 */

export type CpuSnapshot = Map<number, { kind: string; seconds: number }>;

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** The usual kinds of a Tributary machine; `own` names this process. */
export function tributaryKind(pid: number, cmdline: string): string {
  if (pid === process.pid) return 'bench';
  if (/(^|\/)postgres( |$)|^postgres:/.test(cmdline)) return 'postgres';
  if (/java .*kafka/i.test(cmdline)) return 'kafka';
  if (/java .*elasticsearch/i.test(cmdline)) return 'elasticsearch';
  const cli = /src\/cli\/main\.ts (\w+)(?: (\w+))?/.exec(cmdline);
  if (cli) return cli[1] === 'project' ? `projector ${cli[2] ?? ''}`.trim() : cli[1]!;
  return 'other';
}

export function cpuSnapshot(kindOf: (pid: number, cmdline: string) => string = tributaryKind): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return snapshot;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const seconds = processCpuSeconds(pid);
    if (seconds === undefined) continue;
    snapshot.set(pid, { kind: kindOf(pid, commandLine(pid)), seconds });
  }
  return snapshot;
}

/** Cores used per kind between two snapshots `elapsedSeconds` apart, busiest first. */
export function coresByKind(
  before: CpuSnapshot,
  after: CpuSnapshot,
  elapsedSeconds: number,
): [string, number][] {
  const seconds = new Map<string, number>();
  for (const [pid, { kind, seconds: end }] of after) {
    const start = before.get(pid)?.seconds ?? 0; // started inside the window: from zero
    seconds.set(kind, (seconds.get(kind) ?? 0) + Math.max(0, end - start));
  }
  return [...seconds]
    .map(([kind, s]): [string, number] => [kind, s / elapsedSeconds])
    .filter(([, cores]) => cores >= 0.005)
    .sort((a, b) => b[1] - a[1]);
}
