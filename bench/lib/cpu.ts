import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Where the CPU went during a measured window: the whole machine (from /proc/stat, so other people's work on
 * a shared machine shows up too), the load-generating client, and the PostgreSQL backends serving it. Linux
 * only; on other systems the numbers are NaN.
 */

export interface CpuReport {
  /** Busy share of all cores of the machine, 0–1. */
  machineBusy: number;
  /** Share stolen by the hypervisor, 0–1 (noise from neighbours). */
  machineSteal: number;
  /** Cores used by the client process (1 = one full core). */
  clientCores: number;
  /** Cores used by the PostgreSQL backends of the bench database. */
  serverCores: number;
  /** Cores used by the application process under test (the API server), NaN when there is none. */
  appCores: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface MachineTicks {
  total: number;
  idle: number;
  steal: number;
}

function machineTicks(): MachineTicks {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
    return {
      total: user + nice + system + idle + iowait + irq + softirq + steal,
      idle: idle + iowait,
      steal,
    };
  } catch {
    return { total: Number.NaN, idle: Number.NaN, steal: Number.NaN };
  }
}

/** CPU seconds (user + system) in the text of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` file. */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds (user + system) a process has used so far; undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface CpuWatchOptions {
  /** Pid of an external client (pgbench); when absent, this process is the client. */
  clientPid?: number;
  /** Pid of the application under test when it runs in its own process (the API server). */
  appPid?: number;
  /** Lists the server backends to account (polled, since backends come and go). */
  serverPids: () => Promise<number[]>;
  pollMs?: number;
}

/**
 * Starts watching; `stop()` returns the report. External processes are sampled every `pollMs`, so a
 * process that exits between samples loses at most that much of its CPU time (the numbers are approximate).
 */
export function watchCpu(options: CpuWatchOptions): { stop(): Promise<CpuReport> } {
  const started = performance.now();
  const machineStart = machineTicks();
  const ownStart = process.cpuUsage();
  const firstSeen = new Map<number, number>();
  const lastSeen = new Map<number, number>();
  let clientFirst: number | undefined;
  let clientLast: number | undefined;
  let appFirst: number | undefined;
  let appLast: number | undefined;
  let initial = true;
  let sampling: Promise<void> = Promise.resolve();

  const sample = async () => {
    const pids = await options.serverPids().catch(() => [] as number[]);
    for (const pid of pids) {
      const seconds = processCpuSeconds(pid);
      if (seconds === undefined) continue;
      // A backend that appears after the start was forked during the window: it started from zero.
      if (!firstSeen.has(pid)) firstSeen.set(pid, initial ? seconds : 0);
      lastSeen.set(pid, seconds);
    }
    if (options.clientPid !== undefined) {
      const seconds = processCpuSeconds(options.clientPid);
      if (seconds !== undefined) {
        clientFirst ??= initial ? seconds : 0;
        clientLast = seconds;
      }
    }
    if (options.appPid !== undefined) {
      const seconds = processCpuSeconds(options.appPid);
      if (seconds !== undefined) {
        appFirst ??= seconds;
        appLast = seconds;
      }
    }
    initial = false;
  };
  sampling = sample();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, options.pollMs ?? 500);

  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      const elapsedSeconds = (performance.now() - started) / 1000;
      const machineEnd = machineTicks();
      const total = machineEnd.total - machineStart.total;
      let server = 0;
      for (const [pid, last] of lastSeen) server += last - (firstSeen.get(pid) ?? 0);
      const own = process.cpuUsage(ownStart);
      const client =
        options.clientPid === undefined
          ? (own.user + own.system) / 1e6
          : (clientLast ?? Number.NaN) - (clientFirst ?? 0);
      return {
        machineBusy: 1 - (machineEnd.idle - machineStart.idle) / total,
        machineSteal: (machineEnd.steal - machineStart.steal) / total,
        clientCores: client / elapsedSeconds,
        serverCores: server / elapsedSeconds,
        appCores:
          options.appPid === undefined
            ? Number.NaN
            : ((appLast ?? Number.NaN) - (appFirst ?? 0)) / elapsedSeconds,
      };
    },
  };
}
