import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Environment } from '../config';
import { sleep } from '../util';

/**
 * The demo's components (API, relay, projectors, saga, fake gateway) as child processes running the real
 * CLI, exactly as an operator would start them: `node --import tsx src/cli/main.ts <command>` in this
 * repository, or
 * `node …/dist/src/cli/main.js <command>` from the built package (then in the working directory, the app's).
 * Each writes its whole output to a log file; only warnings, errors and stderr reach the terminal, prefixed
 * with the component's name.
 */

const BUILT = __filename.endsWith('.js');
const ROOT = resolve(__dirname, '../..');
const COMMAND = BUILT ? [resolve(__dirname, '../cli/main.js')] : ['--import', 'tsx', 'src/cli/main.ts'];
/** Log records kept in memory per component, for readiness checks and error messages. */
const KEEP_RECORDS = 200;
const PINO_WARN = 40;

/** A pino log record (or a plain output line as `{ msg }`). */
export interface LogRecord {
  msg: string;
  level?: number;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ComponentSpec {
  /** Short name: api, relay, search, reporting, gateway, saga. */
  name: string;
  /** The CLI command, e.g. ['project', 'search']. */
  args: string[];
  env: Environment;
}

/** One running component. */
export class Component {
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  private readonly records: LogRecord[] = [];
  private exit: Exit | undefined;
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    logDir: string,
    echo: (line: string) => void,
  ) {
    this.pid = child.pid!;
    this.logFile = join(logDir, `demo-${name}.log`);
    this.log = createWriteStream(this.logFile, { flags: 'w' });
    this.exited = new Promise<Exit>((done) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line, false, echo));
    createInterface({ input: child.stderr! }).on('line', (line) => this.onLine(line, true, echo));
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The first log record with this message, if any yet. */
  logged(msg: string): LogRecord | undefined {
    return this.records.find((record) => record.msg === msg);
  }

  /** The first log record whose message starts with `prefix`, if any yet. */
  loggedStartingWith(prefix: string): LogRecord | undefined {
    return this.records.find((record) => record.msg.startsWith(prefix));
  }

  /** Why it ended, in one line: its exit and its last error output. */
  describeExit(): string {
    const how = this.exit?.signal
      ? `was killed by ${this.exit.signal}`
      : `exited with code ${this.exit?.code}`;
    const last = [...this.records].reverse().find((r) => r.stderr || (r.level ?? 0) >= PINO_WARN);
    const why = last ? `: ${last.msg}${typeof last.err === 'string' ? ` (${last.err})` : ''}` : '';
    return `${this.name} ${how}${why} — see ${this.logFile}`;
  }

  /**
   * Stops it the way Ctrl-C would (SIGTERM: it finishes what is in flight), and kills it (SIGKILL) when it has
   * not exited after `timeoutMs`. Resolves once it is gone.
   */
  async stop(timeoutMs: number): Promise<'stopped' | 'killed'> {
    if (!this.running) return 'stopped';
    this.signal('SIGTERM');
    const outcome = await Promise.race([this.exited.then(() => 'stopped' as const), sleep(timeoutMs)]);
    if (outcome === 'stopped') return 'stopped';
    this.signal('SIGKILL');
    await this.exited;
    return 'killed';
  }

  /** Sends a signal to its process group (synchronous, so it can run in an exit handler). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  private onLine(line: string, stderr: boolean, echo: (line: string) => void): void {
    this.log.write(`${line}\n`);
    let record: LogRecord = { msg: line };
    if (line.startsWith('{')) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        record = { ...parsed, msg: String(parsed.msg ?? '') };
      } catch {
        // a plain line that starts with a brace
      }
    }
    if (stderr) record.stderr = true;
    this.records.push(record);
    if (this.records.length > KEEP_RECORDS) this.records.shift();
    if (stderr || (record.level ?? 0) >= PINO_WARN) {
      const err = typeof record.err === 'string' ? ` (${record.err})` : '';
      echo(`  [${this.name}] ${record.msg}${err}`);
    }
  }
}

/**
 * The components of one demo run. `failure` aborts as soon as one of them exits on its own, with a readable
 * reason, so every wait of the demo ends instead of hanging.
 */
export class Components {
  private readonly started: Component[] = [];
  private readonly failed = new AbortController();
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly echo: (line: string) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
    // Last resort: whatever ends this process (an uncaught error, process.exit), the children go with it.
    process.once('exit', () => this.started.forEach((c) => c.signal('SIGKILL')));
  }

  get failure(): AbortSignal {
    return this.failed.signal;
  }

  get all(): readonly Component[] {
    return this.started;
  }

  start({ name, args, env }: ComponentSpec): Component {
    // Its own process group: Ctrl-C reaches the demo only, which stops each component in turn.
    const child = spawn(process.execPath, [...COMMAND, ...args], {
      cwd: BUILT ? process.cwd() : ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    const component = new Component(name, child, this.logDir, this.echo);
    this.started.push(component);
    void component.exited.then(() => {
      if (!this.stopping) this.failed.abort(new Error(component.describeExit()));
    });
    return component;
  }

  /** Stops every component at once (SIGTERM, then SIGKILL after `timeoutMs`); returns those that were killed. */
  async stopAll(timeoutMs: number): Promise<string[]> {
    this.stopping = true;
    const outcomes = await Promise.all(this.started.map((c) => c.stop(timeoutMs)));
    return this.started.filter((_, i) => outcomes[i] === 'killed').map((c) => c.name);
  }
}
