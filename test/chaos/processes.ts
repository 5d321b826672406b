import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from '../../src/util';

/**
 * The pipeline's real processes — `tributary serve`, `relay`, `project search`, `project reporting`, `saga`
 * and the fake payment gateway `gateway` — started
 * as `node --import tsx src/cli/main.ts …` (one process per pid, so SIGKILL really kills it), with their
 * output in log files. Each runs under a small supervisor: an exit nobody asked for is recorded and the
 * process is started again after a short back-off, the way systemd (`Restart=always`) or Kubernetes would;
 * the scenario report lists those exits, so a crash is never silent.
 */

const ROOT = resolve(__dirname, '../..');

export type ProcessName = 'api' | 'relay' | 'search' | 'reporting' | 'saga' | 'gateway';

const ARGS: Record<ProcessName, string[]> = {
  api: ['serve'],
  relay: ['relay'],
  search: ['project', 'search'],
  reporting: ['project', 'reporting'],
  saga: ['saga'],
  // Its faults are set over HTTP (PUT /faults) by the scenarios that want them.
  gateway: ['gateway'],
};

export interface UnplannedExit {
  process: ProcessName;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote (stderr and stdout), for the report. */
  tail: string;
}

/** The line of an exit's output that says why: an uncaught error's message, else its last line. */
export function exitReason(exit: UnplannedExit): string {
  const lines = exit.tail.split('\n').map((l) => l.replace(/^! /, '').trim());
  const thrown = lines.find((l) => /^([A-Za-z]*Error|error)(\s\[[^\]]+\])?: /.test(l));
  const origin = lines.find((l) => /^Emitted 'error' event on/.test(l))?.replace(/ at:$/, '');
  const last = lines.filter((l) => l !== '').pop() ?? '';
  return [thrown ?? last, origin].filter(Boolean).join(' — ');
}

export interface SupervisedProcess {
  readonly name: ProcessName;
  /** Pid of the running incarnation (undefined while down). */
  pid(): number | undefined;
  /** Incarnations started so far. */
  starts(): number;
  /** Starts it (if down) and waits until it is ready. */
  start(): Promise<void>;
  /** SIGKILLs it and waits for the exit; the supervisor leaves it down until `start`. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; leaves it down. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when a log line (JSON `msg`, or plain text) matching `pattern` arrives after `since`. */
  waitForLine(pattern: RegExp, since: number, timeoutMs: number): Promise<void>;
  readonly unplannedExits: UnplannedExit[];
}

export interface ProcessOptions {
  name: ProcessName;
  env: Record<string, string>;
  logDir: string;
  /** Resolves when a fresh incarnation is ready to work (e.g. the API answers HTTP). */
  ready: (process: SupervisedProcess, startedAt: number) => Promise<void>;
  say: (line: string) => void;
}

interface Line {
  at: number;
  text: string;
  msg: string;
}

const RESTART_BACKOFF_MS = [1_000, 2_000, 4_000, 5_000];

/** Every child still running, so that even a harness that dies leaves no process behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function supervise(options: ProcessOptions): SupervisedProcess {
  const { name, env, say } = options;
  const log: WriteStream = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
  log.on('error', () => undefined); // a log file problem must not end the run
  const write = (text: string) => {
    if (!log.writableEnded) log.write(text);
  };
  const lines: Line[] = [];
  const unplannedExits: UnplannedExit[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let wanted = false;
  let starts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let crashesInARow = 0;

  const remember = (text: string, stream: 'out' | 'err') => {
    write(`${stream === 'err' ? '! ' : ''}${text}\n`);
    let msg = text;
    if (text.startsWith('{')) {
      try {
        msg = String((JSON.parse(text) as { msg?: unknown }).msg ?? text);
      } catch {
        // not JSON after all
      }
    }
    lines.push({ at: Date.now(), text, msg });
    if (lines.length > 2_000) lines.splice(0, 1_000);
  };

  const spawnOne = () => {
    starts++;
    const incarnation = starts;
    const startedAt = Date.now();
    write(`--- ${new Date().toISOString()} start #${incarnation}\n`);
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...ARGS[name]], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    running.add(proc);
    createInterface({ input: proc.stdout! }).on('line', (text) => remember(text, 'out'));
    createInterface({ input: proc.stderr! }).on('line', (text) => remember(text, 'err'));
    exited = new Promise<void>((done) =>
      proc.once('exit', (code, signal) => {
        write(`--- ${new Date().toISOString()} #${incarnation} exited code=${code} signal=${signal}\n`);
        running.delete(proc);
        if (child === proc) child = undefined;
        if (wanted) {
          const tail = lines
            .filter((l) => l.at >= startedAt)
            .slice(-400)
            .map((l) => l.text.slice(0, 400))
            .join('\n');
          unplannedExits.push({ process: name, at: Date.now(), code, signal, tail });
          const backoff = RESTART_BACKOFF_MS[Math.min(crashesInARow, RESTART_BACKOFF_MS.length - 1)]!;
          crashesInARow++;
          say(`  ! ${name} exited by itself (code ${code}, signal ${signal}); restarting in ${backoff} ms`);
          restartTimer = setTimeout(() => {
            restartTimer = undefined;
            if (wanted && !child) spawnOne();
          }, backoff);
        }
        done();
      }),
    );
    // A process that stayed up a while was healthy: the next crash starts the back-off again.
    setTimeout(() => {
      if (child === proc) crashesInARow = 0;
    }, 30_000).unref();
  };

  const self: SupervisedProcess = {
    name,
    pid: () => child?.pid,
    starts: () => starts,
    unplannedExits,
    async start() {
      wanted = true;
      const startedAt = Date.now();
      if (!child) spawnOne();
      await options.ready(self, startedAt);
    },
    async kill() {
      wanted = false;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (proc?.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      wanted = false;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (proc?.pid !== undefined) {
        process.kill(proc.pid, 'SIGTERM');
        const timer = setTimeout(() => proc.pid !== undefined && proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (!log.writableEnded) await new Promise<void>((done) => log.end(done));
    },
    async waitForLine(pattern, since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (lines.some((line) => line.at >= since && (pattern.test(line.msg) || pattern.test(line.text))))
          return;
        if (Date.now() > deadline) {
          throw new Error(
            `${name} did not log ${pattern} within ${timeoutMs} ms; last lines:\n${lines
              .slice(-8)
              .map((l) => `    ${l.text.slice(0, 300)}`)
              .join('\n')}`,
          );
        }
        await sleep(100);
      }
    },
  };
  return self;
}
