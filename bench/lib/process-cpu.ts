import { readdirSync, readFileSync } from 'node:fs';
import { processCpuSeconds, statCpuSeconds } from './cpu';

/**
 * Where the machine's CPU went during a window, by kind of process: every process is read from /proc at the
 * start and at the end, named by `kindOf` from its command line, and its CPU seconds in between are summed per
 * kind. For a whole pipeline (PostgreSQL, Kafka, Elasticsearch, the relay, a projector, the load generator),
 * where one number per process would not say which part is short of CPU. Linux only; empty elsewhere. A
 * process that exits inside the window is missed (the report says so through `other` being small, not zero).
 */

export type CpuSnapshot = Map<number, { kind: string; seconds: number; jitSeconds: number }>;

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * CPU seconds of a JVM's just-in-time compiler threads (`C1 CompilerThre…`, `C2 CompilerThre…`), 0 for a
 * process that is not a JVM. A JVM compiles the code it runs hot during its first minutes of load, so a
 * high share here says the JVM (Kafka, Elasticsearch) was still warming up, not that its work got dearer.
 */
function jitSeconds(pid: number, cmdline: string): number {
  if (!/(^|\/)java /.test(cmdline)) return 0;
  let total = 0;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (/^C\d CompilerThre/.test(name)) total += statCpuSeconds(stat);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
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
    const cmdline = commandLine(pid);
    snapshot.set(pid, { kind: kindOf(pid, cmdline), seconds, jitSeconds: jitSeconds(pid, cmdline) });
  }
  return snapshot;
}

/**
 * Cores used per kind between two snapshots `elapsedSeconds` apart, busiest first; with `jit`, only the
 * JVMs' just-in-time compiler threads (a part of their kind's total).
 */
export function coresByKind(
  before: CpuSnapshot,
  after: CpuSnapshot,
  elapsedSeconds: number,
  { jit = false }: { jit?: boolean } = {},
): [string, number][] {
  const seconds = new Map<string, number>();
  const field = jit ? 'jitSeconds' : 'seconds';
  for (const [pid, entry] of after) {
    const start = before.get(pid)?.[field] ?? 0; // started inside the window: from zero
    seconds.set(entry.kind, (seconds.get(entry.kind) ?? 0) + Math.max(0, entry[field] - start));
  }
  return [...seconds]
    .map(([kind, s]): [string, number] => [kind, s / elapsedSeconds])
    .filter(([, cores]) => cores >= 0.005)
    .sort((a, b) => b[1] - a[1]);
}
